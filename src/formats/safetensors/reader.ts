/**
 * Streaming safetensors reader: `openSafetensors` reads only the 8-byte length and the
 * JSON header; each `readTensor` then reads that tensor's bytes with one positioned
 * read. Memory stays at one tensor, so multi-GB files are fine.
 */
import type { FileHandle } from "node:fs/promises";
import type { FormatError } from "../errors.js";
import { assertLittleEndianHost, decodeFloats } from "../dtype.js";
import { allocTensor, ioError, openForRead, readAt } from "../io.js";
import { fail, ok, type Result } from "../result.js";
import { checkHeaderLength, parseHeader, READABLE_DTYPES, type ReadableDType, type TensorInfo } from "./header.js";

/** 100 MB, the limit of the reference implementation: a larger "header" is a wrong file. */
const MAX_HEADER_BYTES = 100_000_000;

/** A set of named tensors, one file or a merged sharded view. */
export interface TensorSource {
  /** The file (or index file) the source was opened from, for messages. */
  readonly path: string;
  /** `__metadata__` (of the first shard for a sharded model). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensor names in file order. */
  names(): string[];
  info(name: string): TensorInfo | undefined;
  /** The file that holds `name` (differs from `path` for sharded models). */
  fileOf(name: string): string | undefined;
  /** Read one tensor as float32, into `out` when given (it must have numel(shape) elements). */
  readTensor(name: string, out?: Float32Array): Promise<Result<Float32Array>>;
  close(): Promise<void>;
}

export async function openSafetensors(path: string): Promise<Result<TensorSource>> {
  assertLittleEndianHost(); // F32 tensors are read straight into Float32Array memory
  const opened = await openForRead(path, "safetensors weights");
  if (!opened.ok) return opened;
  const { fh, size } = opened.value;
  const header = await readHeader(fh, path, size);
  if (!header.ok) {
    await fh.close();
    return header;
  }
  const { tensors, metadata, dataStart } = header.value;
  const source: TensorSource = {
    path,
    metadata,
    names: () => [...tensors.keys()],
    info: (name) => tensors.get(name),
    fileOf: (name) => (tensors.has(name) ? path : undefined),
    readTensor: async (name, out) => {
      const info = tensors.get(name);
      if (!info) return fail({ code: "no_such_tensor", file: path, tensor: name });
      return readTensorAt(fh, path, dataStart, info, out);
    },
    close: () => fh.close(),
  };
  return ok(source);
}

async function readHeader(fh: FileHandle, path: string, size: number) {
  const prefix = new Uint8Array(8);
  try {
    const got = await readAt(fh, prefix, 0);
    const n = got === 8 ? Buffer.from(prefix).readBigUInt64LE(0) : 0n;
    const lenErr = checkHeaderLength(path, n, size);
    if (lenErr) return fail(lenErr);
    if (n > BigInt(MAX_HEADER_BYTES)) {
      return fail({ code: "bad_header" as const, file: path, message: `header of ${n} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit` });
    }
    const json = new Uint8Array(Number(n));
    await readAt(fh, json, 8);
    return parseHeader(path, Buffer.from(json).toString("utf8"), Number(n), size);
  } catch (e) {
    return fail(ioError(path, e));
  }
}

/** Read one tensor's byte range and convert it to float32. */
async function readTensorAt(fh: FileHandle, path: string, dataStart: number, info: TensorInfo, out?: Float32Array): Promise<Result<Float32Array>> {
  if (!(READABLE_DTYPES as readonly string[]).includes(info.dtype)) {
    return fail({ code: "unsupported_dtype", file: path, tensor: info.name, dtype: info.dtype, supported: READABLE_DTYPES });
  }
  const dtype = info.dtype as ReadableDType;
  const n = info.shape.reduce((a, b) => a * b, 1);
  if (out && out.length !== n) throw new Error(`readTensor("${info.name}"): out has ${out.length} elements, the tensor ${n}`);
  const nbytes = info.end - info.begin;
  const allocated = allocTensor(path, info.name, n, nbytes, () => {
    const result = out ?? new Float32Array(n);
    // F32 reads straight into the result's memory; other dtypes go through a scratch buffer
    const bytes = dtype === "F32" ? new Uint8Array(result.buffer, result.byteOffset, nbytes) : new Uint8Array(nbytes);
    return { result, bytes };
  });
  if (!allocated.ok) return allocated;
  const { result, bytes } = allocated.value;
  try {
    const got = await readAt(fh, bytes, dataStart + info.begin);
    if (got < nbytes) {
      // the file shrank after the header was checked
      return fail({ code: "truncated", file: path, tensor: info.name, neededBytes: dataStart + info.end, fileSize: dataStart + info.begin + got });
    }
  } catch (e) {
    return fail(ioError(path, e));
  }
  if (dtype !== "F32") decodeFloats(bytes, dtype, result);
  return ok(result);
}

