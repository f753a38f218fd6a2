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

/** One `serve --lora-modules` entry (vLLM's form): a model name and an adapter path. */
export interface LoraModuleEntry {
  name: string;
  /** The adapter: a PEFT folder (builtin) or a GGUF adapter file (gguf), optionally with `@scale`. */
  path: string;
}

/**
 * `NAME=PATH` entries of `--lora-modules` (vLLM's flag shape), and the spec of each
 * adapter over the served base spec (`builtin:BASE+lora:PATH`, `gguf:BASE+lora:PATH`).
 * Returns a message naming the entry for a malformed one, or a base that takes no adapter.
 */
export function loraModuleSpecs(baseSpec: string, entries: readonly string[]): { ok: true; value: (LoraModuleEntry & { spec: string })[] } | { ok: false; error: string } {
  const colon = baseSpec.indexOf(":");
  const kind = colon > 0 ? baseSpec.slice(0, colon) : "";
  const rest = baseSpec.slice(colon + 1);
  if (entries.length > 0 && kind !== "builtin" && kind !== "gguf") {
    return { ok: false, error: `--lora-modules: ${baseSpec} takes no LoRA adapter here; serve a builtin: or gguf: base (an openai: server applies its own adapters: name them with #MODEL)` };
  }
  const split = entries.length > 0 ? splitLoraSpec(kind, rest) : null;
  if (split && "error" in split) return { ok: false, error: split.error };
  if (split?.lora) return { ok: false, error: `--lora-modules: ${baseSpec} already has an adapter; serve its base (${kind}:${split.base}) and give each adapter in --lora-modules` };
  const out: (LoraModuleEntry & { spec: string })[] = [];
  for (const e of entries) {
    const eq = e.indexOf("=");
    const name = eq > 0 ? e.slice(0, eq).trim() : "";
    const path = eq > 0 ? e.slice(eq + 1).trim() : "";
    if (name === "" || path === "") return { ok: false, error: `--lora-modules: "${e}" is not NAME=PATH; write e.g. --lora-modules math=runs/lora-math/checkpoints/step-000200/adapter (the spec to serve goes before the flag)` };
    if (out.some((m) => m.name === name)) return { ok: false, error: `--lora-modules: the name "${name}" is given twice; give each adapter a name of its own` };
    const spec = `${kind}:${rest}+lora:${path}`;
    const parts = splitLoraSpec(kind, `${rest}+lora:${path}`);
    if ("error" in parts) return { ok: false, error: `--lora-modules ${e}: ${parts.error}` };
    out.push({ name, path, spec });
  }
  return { ok: true, value: out };
}
