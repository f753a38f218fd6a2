/**
 * safetensors header: parsing and validation (pure, no I/O).
 *
 * Spec (https://github.com/huggingface/safetensors, "Format"):
 *   8 bytes   N, little-endian u64: header size
 *   N bytes   UTF-8 JSON: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {str: str} }
 *             (writers pad with spaces so the buffer starts 8-byte aligned)
 *   rest      the byte buffer; data_offsets are relative to its start, end exclusive
 */
import type { FormatError } from "../errors.js";
import { fail, ok, type Result } from "../result.js";

/** Element size of every dtype the spec defines. */
export const DTYPE_SIZES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  F64: 8, I64: 8, U64: 8,
};

/** dtypes `readTensor` converts to float32. */
export const READABLE_DTYPES = ["F32", "F16", "BF16", "F64"] as const;
export type ReadableDType = (typeof READABLE_DTYPES)[number];

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range in the data buffer, end exclusive. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorInfo>; // in header order
  metadata: Record<string, string>;
  /** Absolute file position of the data buffer: 8 + N. */
  dataStart: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Parse the JSON header and check it against the file: every dtype known, every
 * shape × dtype size equal to its byte range, no overlaps, nothing past the end of file.
 */
export function parseHeader(file: string, json: string, headerLength: number, fileSize: number): Result<SafetensorsHeader> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return fail({ code: "bad_header", file, message: `the header is not valid JSON (${(e as Error).message})` });
  }
  if (!isObject(raw)) return fail({ code: "bad_header", file, message: "the header JSON is not an object" });
  const dataStart = 8 + headerLength;
  const bufferSize = fileSize - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(raw)) {
    if (name === "__metadata__") {
      if (!isObject(entry) || !Object.values(entry).every((v) => typeof v === "string")) {
        return fail({ code: "bad_header", file, message: `"__metadata__" must map strings to strings` });
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    const bad = (message: string) => fail({ code: "bad_header", file, tensor: name, message });
    if (!isObject(entry)) return bad("the entry is not an object");
    const { dtype, shape, data_offsets: offs } = entry;
    if (typeof dtype !== "string") return bad(`"dtype" is missing or not a string`);
    if (!Array.isArray(shape) || !shape.every(isCount)) return bad(`"shape" must be an array of non-negative integers`);
    if (!Array.isArray(offs) || offs.length !== 2) return bad(`"data_offsets" must be [begin, end]`);
    const [begin, end] = offs as unknown[];
    // own keys only: "__proto__" or "toString" must be unknown dtypes, not Object.prototype's members
    const size = Object.hasOwn(DTYPE_SIZES, dtype) ? DTYPE_SIZES[dtype] : undefined;
    if (size === undefined) return fail({ code: "unknown_dtype", file, tensor: name, dtype, known: Object.keys(DTYPE_SIZES) });
    if (typeof begin !== "number" || typeof end !== "number") return bad(`"data_offsets" must be two integers [begin, end], got ${JSON.stringify(offs)}`);
    if (!isCount(begin) || !isCount(end)) {
      return fail({ code: "bad_offsets", file, tensor: name, begin, end, message: "offsets must be non-negative integers" });
    }
    if (end < begin) return fail({ code: "bad_offsets", file, tensor: name, begin, end, message: "end is before begin" });
    // a zero dimension first: [2^60, 2^60, …, 0] is empty, though its running product overflows to NaN
    const numel = (shape as number[]).includes(0) ? 0 : (shape as number[]).reduce((a, b) => a * b, 1);
    const expectedBytes = numel * size;
    if (!Number.isSafeInteger(expectedBytes)) return bad(`"shape" [${(shape as number[]).join(", ")}] holds more bytes than any file can`);
    if (end - begin !== expectedBytes) {
      return fail({ code: "size_mismatch", file, tensor: name, dtype, shape: shape as number[], expectedBytes, gotBytes: end - begin });
    }
    if (end > bufferSize) return fail({ code: "truncated", file, tensor: name, neededBytes: dataStart + end, fileSize });
    tensors.set(name, { name, dtype, shape: shape as number[], begin, end });
  }
  const overlap = findOverlap([...tensors.values()]);
  if (overlap) return fail({ code: "overlapping_tensors", file, tensor: overlap[0], other: overlap[1] });
  return ok({ tensors, metadata, dataStart });
}

/** The first pair of tensors whose non-empty byte ranges intersect, if any. */
function findOverlap(infos: TensorInfo[]): [string, string] | null {
  const sorted = infos.filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) return [sorted[i].name, sorted[i - 1].name];
  }
  return null;
}

/** Header length check before reading N bytes: 8 + N must fit in the file. */
export function checkHeaderLength(file: string, n: bigint, fileSize: number): FormatError | null {
  if (fileSize < 8) return { code: "bad_header_length", file, headerLength: null, fileSize };
  if (n > BigInt(fileSize - 8)) return { code: "bad_header_length", file, headerLength: n.toString(), fileSize };
  return null;
}

/**
 * Serialise a header. Offsets come from `entries` order (contiguous). The JSON is
 * padded with spaces so that 8 + N is a multiple of 8 (the spec's recommended alignment).
 */
export function encodeHeader(
  entries: { name: string; dtype: string; shape: readonly number[]; bytes: number }[],
  metadata: Record<string, string> | undefined,
): { json: Uint8Array; offsets: number[] } {
  const obj: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) obj.__metadata__ = metadata;
  const offsets: number[] = [];
  let off = 0;
  for (const e of entries) {
    obj[e.name] = { dtype: e.dtype, shape: [...e.shape], data_offsets: [off, off + e.bytes] };
    offsets.push(off);
    off += e.bytes;
  }
  let text = JSON.stringify(obj);
  const len = Buffer.byteLength(text, "utf8");
  text += " ".repeat((8 - ((8 + len) % 8)) % 8);
  return { json: new Uint8Array(Buffer.from(text, "utf8")), offsets };
}
