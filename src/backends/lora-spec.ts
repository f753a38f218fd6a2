/**
 * A model spec with a LoRA adapter (Hu et al. 2021): `builtin:BASE+lora:ADAPTER_DIR@scale`
 * (a PEFT folder, applied by the engine without merging) and
 * `gguf:BASE.gguf+lora:ADAPTER.gguf@scale` (a GGUF LoRA adapter, applied by llama.cpp).
 * `@scale` multiplies the adapter's alpha/r (default 1, as llama.cpp's `--lora-scaled`);
 * the base is loaded once.
 */

export const LORA_SPEC_FORMS = "builtin:BASE+lora:ADAPTER_DIR[@scale], gguf:BASE.gguf+lora:ADAPTER.gguf[@scale]";

export interface LoraSpecPart {
  path: string;
  /** Multiplier of alpha/r. */
  scale: number;
}

/**
 * Split the part of a spec after `builtin:` / `gguf:` into the base and its adapter (null:
 * none). A trailing `@X` is the scale only when X is a number, so a path may hold an `@`.
 * Returns a message for a malformed adapter part.
 */
export function splitLoraSpec(kind: string, rest: string): { base: string; lora: LoraSpecPart | null } | { error: string } {
  const at = rest.lastIndexOf("+lora:");
  if (at < 0) return { base: rest, lora: null };
  const base = rest.slice(0, at);
  let path = rest.slice(at + "+lora:".length);
  let scale = 1;
  const m = /@([^@/]*)$/.exec(path);
  if (m && m[1].trim() !== "" && Number.isFinite(Number(m[1]))) {
    scale = Number(m[1]);
    path = path.slice(0, m.index);
  } else if (m && /^[-+.\d]/.test(m[1])) {
    return { error: `${kind}:${rest}: "@${m[1]}" is not a number; write the adapter's scale as a number, e.g. ${kind}:${base}+lora:${path.slice(0, m.index)}@0.5` };
  }
  if (base === "" || path === "") return { error: `${kind}:${rest}: expected ${kind}:BASE+lora:ADAPTER[@scale] with both parts given` };
  return { base, lora: { path, scale } };
}
