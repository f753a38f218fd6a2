/**
 * Validating a user's GGUF before llama.cpp touches it in-process.
 *
 * 1. The header, with ftledger's own reader (src/formats `openGguf`): magic, version,
 *    metadata types, tensor offsets inside the file (a truncated file is named with the
 *    byte it needs), then the metadata llama.cpp needs for a model to load (architecture,
 *    hyperparameters, tokenizer). The reader returns errors as data and cannot abort.
 * 2. A real load in a child process (./child.ts): whatever llama.cpp does to a file the
 *    header check did not catch (an assertion that aborts, a segfault) kills only the child.
 *
 * Results are cached per process by (path, size, mtime, device): the child loads the model
 * on the device the caller will use (`gpu`), so a file that breaks a GPU's kernels is caught too.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { formatFormatError, openGguf, type FormatError, type GgufFile, type GgufValue } from "../../formats/index.js";
import { loadInChild, type ChildOutcome } from "./child.js";
import type { GgufGpu } from "./gpu.js";

/** What can be wrong with a GGUF file, as data; `formatGgufCheckError` renders it. */
export type GgufCheckError =
  | { code: "format"; error: FormatError }
  | { code: "empty"; file: string }
  | { code: "missing_metadata"; file: string; key: string }
  | { code: "bad_metadata"; file: string; key: string; message: string }
  | { code: "load_failed"; file: string; outcome: Exclude<ChildOutcome, { ok: true }> };

/** A file that loads: its metadata, and the distinct ggml type names of its tensors ("F32", "Q4_0", …). */
export type GgufCheck = { ok: true; value: { kv: ReadonlyMap<string, GgufValue>; tensorTypes: readonly string[] } } | { ok: false; error: GgufCheckError };

/** A GGUF that cannot be opened; `detail` is the error as data. */
export class GgufLoadError extends Error {
  constructor(readonly detail: GgufCheckError) {
    super(formatGgufCheckError(detail));
    this.name = "GgufLoadError";
  }
}

export function formatGgufCheckError(e: GgufCheckError): string {
  const fix = "Re-download or re-export the file (for an ftledger checkpoint: `ftledger export gguf CKPT OUT.gguf`).";
  switch (e.code) {
    case "format": {
      const f = e.error;
      // the reader names a tensor, or the header part it was parsing ("metadata entry 3", …)
      if (f.code === "truncated" && !/^[\w.]+$/.test(f.tensor)) {
        return `${f.file}: truncated: the header (${f.tensor}) ends at byte ${f.neededBytes} but the file has ${f.fileSize} bytes. The file was cut off (interrupted download or copy). ${fix}`;
      }
      if (f.code === "truncated") {
        return `${f.file}: truncated: tensor "${f.tensor}" data ends at byte ${f.neededBytes} but the file has ${f.fileSize} bytes. The file was cut off (interrupted download or copy). ${fix}`;
      }
      if (f.code === "missing_file") return `${f.file}: not found. Check the path to the .gguf file.`;
      return formatFormatError(f);
    }
    case "empty":
      return `${e.file}: the file is empty (0 bytes), not a GGUF model. ${fix}`;
    case "missing_metadata":
      return `${e.file}: missing metadata key ${e.key}, which llama.cpp needs to load the model. The file was written by an incomplete converter. ${fix}`;
    case "bad_metadata":
      return `${e.file}: metadata key ${e.key}: ${e.message}. ${fix}`;
    case "load_failed": {
      const o = e.outcome;
      const log = o.stderr ? ` llama.cpp said:\n${o.stderr}\n` : " ";
      if (o.kind === "error") return `${e.file}: llama.cpp refused the file while ${o.stage}: ${o.message}.${log}Check that the file is a llama.cpp GGUF model of a supported architecture. ${fix}`;
      if (o.kind === "timeout") return `${e.file}: loading with llama.cpp did not finish within ${o.seconds} s (stuck while ${o.stage}).${log}Check the file and that the machine has enough memory for it.`;
      const how = o.signal ? `signal ${o.signal}` : `exit code ${o.exitCode}`;
      return `${e.file}: llama.cpp aborted while ${o.stage} (${how}); the check ran in a child process, so this process is unharmed.${log}The file is malformed or uses a feature this llama.cpp build lacks. ${fix}`;
    }
  }
}

/** Keys every llama.cpp model needs, `{arch}` standing for general.architecture. */
const REQUIRED_NUMBERS = ["{arch}.block_count", "{arch}.embedding_length", "{arch}.context_length", "{arch}.attention.head_count"];

/** Metadata checks on an opened header; null when llama.cpp has what it needs. */
export function checkMetadata(f: GgufFile): GgufCheckError | null {
  const file = f.path;
  const get = (key: string) => f.kv.get(key);
  const str = (key: string): string | GgufCheckError => {
    const v = get(key);
    if (!v) return { code: "missing_metadata", file, key };
    if (v.type !== "string" || v.value === "") return { code: "bad_metadata", file, key, message: `must be a non-empty string, found ${v.type}` };
    return v.value;
  };
  const arch = str("general.architecture");
  if (typeof arch !== "string") return arch;
  for (const pattern of REQUIRED_NUMBERS) {
    const key = pattern.replace("{arch}", arch);
    const v = get(key);
    if (!v) return { code: "missing_metadata", file, key };
    const n = v.type === "uint64" || v.type === "int64" ? Number(v.value) : v.value;
    if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) return { code: "bad_metadata", file, key, message: `must be a positive integer, found ${String(v.value)}` };
  }
  const model = str("tokenizer.ggml.model");
  if (typeof model !== "string") return model;
  // measured: tokenizer model "none" aborts the process inside llama.cpp
  if (model === "none") return { code: "bad_metadata", file, key: "tokenizer.ggml.model", message: `"none" (no tokenizer) cannot be evaluated on text; use a GGUF with a "llama" or "gpt2" tokenizer` };
  const tokens = get("tokenizer.ggml.tokens");
  if (!tokens) return { code: "missing_metadata", file, key: "tokenizer.ggml.tokens" };
  if (tokens.type !== "array" || tokens.itemType !== "string" || tokens.value.length === 0) {
    return { code: "bad_metadata", file, key: "tokenizer.ggml.tokens", message: "must be a non-empty array of strings" };
  }
  const embd = f.tensor("token_embd.weight");
  if (!embd) return { code: "bad_metadata", file, key: "tensors", message: `there is no tensor "token_embd.weight" (the token embedding)` };
  if (embd.dims[1] !== tokens.value.length) {
    return { code: "bad_metadata", file, key: "tokenizer.ggml.tokens", message: `has ${tokens.value.length} tokens but token_embd.weight has ${embd.dims[1]} rows` };
  }
  return null;
}

const cache = new Map<string, Promise<GgufCheck>>();

/** Validate `path` (header, metadata, then a real load in a child process on `gpu`, default the CPU); cached by (path, size, mtime, gpu). */
export async function checkGguf(path: string, opts: { timeoutMs?: number; gpu?: GgufGpu } = {}): Promise<GgufCheck> {
  const abs = resolve(path);
  const gpu = opts.gpu ?? "off";
  let key = `${abs}\0${gpu}`;
  try {
    const s = await stat(abs);
    key = `${abs}\0${s.size}\0${s.mtimeMs}\0${gpu}`;
    if (s.size === 0) return { ok: false, error: { code: "empty", file: path } };
  } catch {
    // a missing file: openGguf below reports it
  }
  let pending = cache.get(key);
  if (!pending) {
    pending = runCheck(path, abs, opts.timeoutMs, gpu);
    cache.set(key, pending);
  }
  return pending;
}

async function runCheck(path: string, abs: string, timeoutMs: number | undefined, gpu: GgufGpu): Promise<GgufCheck> {
  const opened = await openGguf(path);
  if (!opened.ok) return { ok: false, error: { code: "format", error: opened.error } };
  const f = opened.value;
  await f.close();
  const bad = checkMetadata(f);
  if (bad) return { ok: false, error: bad };
  const outcome = await loadInChild(abs, timeoutMs, undefined, gpu);
  if (!outcome.ok) return { ok: false, error: { code: "load_failed", file: path, outcome } };
  return { ok: true, value: { kv: f.kv, tensorTypes: [...new Set(f.tensors.map((t) => t.typeName))] } };
}
