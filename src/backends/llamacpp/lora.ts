/**
 * Checking a GGUF LoRA adapter for a base GGUF before llama.cpp applies it in-process
 * (`gguf:BASE.gguf+lora:ADAPTER.gguf@scale`). llama.cpp's own rules (src/llama-adapter.cpp):
 * general.type "adapter", adapter.type "lora", the base's general.architecture, every
 * tensor a `NAME.lora_a` / `NAME.lora_b` pair (or a `*_norm.weight`, which it skips) of a
 * base tensor NAME, with base ne[0] = lora_a ne[0], base ne[1] = lora_b ne[1] and lora_a
 * ne[1] = lora_b ne[0]. Checked here with ftledger's reader first, so each refusal names the
 * file, the key or tensor, and what to do; then a real load of base + adapter in a child
 * process (./child.ts), as for a model.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { formatFormatError, openGguf, type GgufFile } from "../../formats/index.js";
import { loadInChild } from "./child.js";
import { formatGgufCheckError } from "./check.js";

const FIX = "Write the adapter with `ftledger export gguf --lora ADAPTER_DIR OUT.gguf` (or llama.cpp's convert_lora_to_gguf.py) for this base";

async function header(path: string): Promise<GgufFile | string> {
  const f = await openGguf(path);
  if (!f.ok) return formatFormatError(f.error);
  await f.value.close();
  return f.value;
}

const cache = new Map<string, Promise<string | null>>();

/** A file's identity for the cache: path, size and mtime (a rewritten file is checked again). */
const stamp = (p: string) => stat(p).then((s) => `${resolve(p)}\0${s.size}\0${s.mtimeMs}`, () => resolve(p));

/**
 * What is wrong with `loraPath` as an adapter of `basePath`, as a message; null when llama.cpp
 * loads the pair. Cached per process by both files' (path, size, mtime), as checkGguf is.
 */
export async function checkGgufLora(basePath: string, loraPath: string, timeoutMs?: number): Promise<string | null> {
  const key = `${await stamp(basePath)}\0${await stamp(loraPath)}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = runCheck(basePath, loraPath, timeoutMs);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function runCheck(basePath: string, loraPath: string, timeoutMs?: number): Promise<string | null> {
  const lora = await header(loraPath);
  if (typeof lora === "string") return lora;
  const base = await header(basePath);
  if (typeof base === "string") return base;
  const str = (f: GgufFile, key: string) => {
    const v = f.kv.get(key);
    return v?.type === "string" ? v.value : undefined;
  };
  const bad = (what: string) => `${loraPath}: ${what}. ${FIX}.`;
  if (str(lora, "general.type") !== "adapter") return bad(`general.type is ${JSON.stringify(str(lora, "general.type") ?? null)}, not "adapter": this is not a GGUF adapter (a model goes first in the spec, gguf:BASE.gguf+lora:ADAPTER.gguf)`);
  if (str(lora, "adapter.type") !== "lora") return bad(`adapter.type is ${JSON.stringify(str(lora, "adapter.type") ?? null)}, not "lora"`);
  if (str(lora, "general.architecture") !== str(base, "general.architecture")) {
    return bad(`general.architecture is ${JSON.stringify(str(lora, "general.architecture") ?? null)} but the base ${basePath} is ${JSON.stringify(str(base, "general.architecture") ?? null)}`);
  }
  const pairs = new Map<string, { a?: number[]; b?: number[] }>();
  for (const t of lora.tensors) {
    const m = /^(.+)\.lora_(a|b)$/.exec(t.name);
    if (!m) {
      if (t.name.endsWith("_norm.weight")) continue; // llama.cpp skips these
      return bad(`tensor "${t.name}" is neither a .lora_a nor a .lora_b factor`);
    }
    const p = pairs.get(m[1]) ?? {};
    p[m[2] as "a" | "b"] = t.dims;
    pairs.set(m[1], p);
  }
  if (pairs.size === 0) return bad("it holds no LoRA factors");
  for (const [name, { a, b }] of pairs) {
    if (!a || !b) return bad(`tensor "${name}" has only its lora_${a ? "a" : "b"} factor`);
    const w = base.tensor(name);
    if (!w) return bad(`tensor "${name}.lora_a" adapts "${name}", which the base ${basePath} does not have (a different base model?)`);
    if (a.length !== 2 || b.length !== 2 || w.dims[0] !== a[0] || w.dims[1] !== b[1] || a[1] !== b[0]) {
      return bad(`tensor "${name}": lora_a has ggml dims [${a.join(", ")}] and lora_b [${b.join(", ")}], which do not fit the base's [${w.dims.join(", ")}] (expected [${w.dims[0]}, r] and [r, ${w.dims[1]}]; a different base model?)`);
    }
  }
  const outcome = await loadInChild(resolve(basePath), timeoutMs, resolve(loraPath));
  if (!outcome.ok) return formatGgufCheckError({ code: "load_failed", file: `${basePath} + LoRA ${loraPath}`, outcome });
  return null;
}
