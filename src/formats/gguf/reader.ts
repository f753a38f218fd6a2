/**
 * GGUF reader (spec in ./types.ts). Reads the header (metadata and tensor infos) and
 * then single tensors by positioned reads, like the safetensors reader. Validates what
 * llama.cpp would otherwise abort on: magic, version, value types, string/array lengths
 * past the end of file, tensor offsets (alignment, bounds, overlap).
 */
import type { FileHandle } from "node:fs/promises";
import type { FormatError } from "../errors.js";
import { decodeFloats } from "../dtype.js";
import { fail, ok, type Result } from "../result.js";
import { parseGgufHeader, NeedMore, type GgufHeader } from "./parse.js";
import { allocTensor, ioError, openForRead, readAt } from "../io.js";
import { GGML_TYPES, type GgufValue } from "./types.js";

export interface GgufTensorInfo {
  name: string;
  /** ggml order (ne[0] fastest). */
  dims: number[];
  /** Row-major (torch) order: dims reversed. */
  shape: number[];
  /** ggml type id; `typeName` is its name, or "type <id>" when unknown. */
  type: number;
  typeName: string;
  /** Byte offset relative to the start of the data section. */
  offset: number;
  /** Byte size when the type's block layout is known. */
  bytes?: number;
}

export interface GgufFile {
  readonly path: string;
  readonly version: number;
  readonly kv: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensorInfo[];
  readonly alignment: number;
  /** Absolute file position of the data section. */
  readonly dataStart: number;
  tensor(name: string): GgufTensorInfo | undefined;
  /** Decode an F32 / F16 / BF16 / F64 tensor into float32. */
  readTensor(name: string): Promise<Result<Float32Array>>;
  close(): Promise<void>;
}

const READABLE = { 0: "F32", 1: "F16", 30: "BF16", 28: "F64" } as const;

export async function openGguf(path: string): Promise<Result<GgufFile>> {
  const opened = await openForRead(path, "GGUF model");
  if (!opened.ok) return opened;
  const { fh, size } = opened.value;
  const header = await readGgufHeader(fh, path, size).catch(async (e: unknown) => {
    await fh.close(); // a bug's exception must not leak the file handle either
    throw e;
  });
  if (!header.ok) {
    await fh.close();
    return header;
  }
  const h = header.value;
  const byName = new Map(h.tensors.map((t) => [t.name, t]));
  const file: GgufFile = {
    path,
    version: h.version,
    kv: h.kv,
    tensors: h.tensors,
    alignment: h.alignment,
    dataStart: h.dataStart,
    tensor: (name) => byName.get(name),
    readTensor: async (name) => {
      const t = byName.get(name);
      if (!t) return fail({ code: "no_such_tensor", file: path, tensor: name });
      const dtype = READABLE[t.type as keyof typeof READABLE];
      if (!dtype) return fail({ code: "unsupported_dtype", file: path, tensor: name, dtype: t.typeName, supported: Object.values(READABLE) });
      const numel = t.shape.reduce((a, b) => a * b, 1);
      const allocated = allocTensor(path, name, numel, t.bytes!, () => ({ out: new Float32Array(numel), bytes: new Uint8Array(t.bytes!) }));
      if (!allocated.ok) return allocated;
      const { out, bytes } = allocated.value;
      try {
        const got = await readAt(fh, bytes, h.dataStart + t.offset);
        if (got < bytes.length) return fail({ code: "truncated", file: path, tensor: name, neededBytes: h.dataStart + t.offset + bytes.length, fileSize: h.dataStart + t.offset + got });
      } catch (e) {
        return fail(ioError(path, e));
      }
      decodeFloats(bytes, dtype, out);
      return ok(out);
    },
    close: () => fh.close(),
  };
  return ok(file);
}

/**
 * The largest header read: the bound safetensors' reference implementation puts on its
 * header. Real GGUF headers (a 256k-token vocabulary with its merges) stay near 10 MB; a
 * length or count that needs more is corrupt, and is refused before the bytes are read.
 */
export const MAX_GGUF_HEADER_BYTES = 100_000_000;

/** Read a growing prefix of the file until the header parses (headers are usually < 10 MB). */
async function readGgufHeader(fh: FileHandle, path: string, size: number): Promise<Result<GgufHeader & { tensors: GgufTensorInfo[] }>> {
  let chunk = Math.min(size, 1 << 20);
  for (;;) {
    const buf = Buffer.alloc(chunk);
    try {
      await readAt(fh, buf, 0);
    } catch (e) {
      return fail(ioError(path, e));
    }
    try {
      const h = parseGgufHeader(path, buf);
      if (!h.ok) return h;
      const checked = checkTensors(path, h.value, size);
      return checked ? fail(checked) : ok(h.value as GgufHeader & { tensors: GgufTensorInfo[] });
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      // a claim past the end of the file is judged without reading the file
      if (chunk >= size || e.needed > size) return fail({ code: "truncated", file: path, tensor: e.where, neededBytes: e.needed, fileSize: size });
      if (e.needed > MAX_GGUF_HEADER_BYTES) {
        return fail({ code: "bad_header", file: path, message: `${e.where} needs a header of ${e.needed} bytes, more than the ${MAX_GGUF_HEADER_BYTES}-byte limit (a corrupt length or count)` });
      }
      chunk = Math.min(size, MAX_GGUF_HEADER_BYTES, Math.max(chunk * 2, e.needed));
    }
  }
}

/** Offsets aligned, inside the file, not overlapping; types known. */
function checkTensors(path: string, h: GgufHeader, size: number): FormatError | null {
  const spans: { name: string; begin: number; end: number }[] = [];
  for (const t of h.tensors) {
    if (!GGML_TYPES[t.type]) return { code: "unknown_dtype", file: path, tensor: t.name, dtype: t.typeName, known: Object.values(GGML_TYPES).map((x) => x.name) };
    if (t.offset % h.alignment !== 0) {
      return { code: "bad_offsets", file: path, tensor: t.name, begin: t.offset, end: t.offset, message: `offset is not a multiple of the alignment ${h.alignment}` };
    }
    if (t.bytes === undefined) continue;
    if (h.dataStart + t.offset + t.bytes > size) return { code: "truncated", file: path, tensor: t.name, neededBytes: h.dataStart + t.offset + t.bytes, fileSize: size };
    spans.push({ name: t.name, begin: t.offset, end: t.offset + t.bytes });
  }
  spans.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].begin < spans[i - 1].end) return { code: "overlapping_tensors", file: path, tensor: spans[i].name, other: spans[i - 1].name };
  }
  return null;
}
