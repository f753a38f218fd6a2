/**
 * GGUF writer (spec in ./types.ts): metadata, tensor infos, aligned tensors (floats, or
 * ggml's Q8_0 / Q4_0 blocks, ./quant.ts).
 * The header is built in memory (it is small: metadata and tensor names); tensor data
 * is converted and written one tensor at a time. Atomic like every writer here.
 */
import { encodeFloats } from "../dtype.js";
import { writeAll, writeBytesAtomic } from "../io.js";
import { quantize, QUANT_BLOCK, QUANT_BLOCK_BYTES } from "./quant.js";
import {
  alignUp, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VALUE_TYPES, GGUF_VERSION, SCALAR_SIZES,
  type GgufScalar, type GgufScalarType, type GgufValue,
} from "./types.js";

export interface GgufTensorToWrite {
  name: string;
  /** Row-major shape (torch order); written reversed, as ggml dims. */
  shape: readonly number[];
  data: Float32Array;
  type: GgufTensorType;
}

export type GgufTensorType = "F32" | "F16" | "Q8_0" | "Q4_0";

/** ggml type ids (ggml.h `enum ggml_type`). */
const TYPE_IDS: Record<GgufTensorType, number> = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 };

function tensorBytes(t: GgufTensorToWrite): number {
  if (t.type === "F32") return t.data.length * 4;
  if (t.type === "F16") return t.data.length * 2;
  return (t.data.length / QUANT_BLOCK) * QUANT_BLOCK_BYTES[t.type];
}

function encodeTensor(t: GgufTensorToWrite): Uint8Array {
  return t.type === "F32" || t.type === "F16" ? encodeFloats(t.data, t.type) : quantize(t.data, t.type);
}

/** Little-endian byte builder. */
class Bytes {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.reserve(4);
    this.length = this.buf.writeUInt32LE(v, this.length);
  }
  u64(v: number | bigint): void {
    this.reserve(8);
    this.length = this.buf.writeBigUInt64LE(BigInt(v), this.length);
  }
  string(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.reserve(b.length);
    this.length += b.copy(this.buf, this.length);
  }
  scalar(type: GgufScalarType, v: GgufScalar): void {
    if (type === "string") return this.string(v as string);
    this.reserve(SCALAR_SIZES[type]);
    const b = this.buf;
    const o = this.length;
    switch (type) {
      case "uint8": this.length = b.writeUInt8(v as number, o); break;
      case "int8": this.length = b.writeInt8(v as number, o); break;
      case "uint16": this.length = b.writeUInt16LE(v as number, o); break;
      case "int16": this.length = b.writeInt16LE(v as number, o); break;
      case "uint32": this.length = b.writeUInt32LE(v as number, o); break;
      case "int32": this.length = b.writeInt32LE(v as number, o); break;
      case "float32": this.length = b.writeFloatLE(v as number, o); break;
      case "float64": this.length = b.writeDoubleLE(v as number, o); break;
      case "bool": this.length = b.writeUInt8(v ? 1 : 0, o); break;
      case "uint64": this.length = b.writeBigUInt64LE(BigInt(v as bigint), o); break;
      case "int64": this.length = b.writeBigInt64LE(BigInt(v as bigint), o); break;
    }
  }
  value(v: GgufValue): void {
    this.u32(GGUF_VALUE_TYPES.indexOf(v.type));
    if (v.type !== "array") return this.scalar(v.type, v.value);
    this.u32(GGUF_VALUE_TYPES.indexOf(v.itemType));
    this.u64(v.value.length);
    for (const item of v.value) this.scalar(v.itemType, item);
  }
  pad(alignment: number): void {
    const n = alignUp(this.length, alignment) - this.length;
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * Write a GGUF v3 file. `kv` is written in the given order; when `alignment` is not
 * the default, `general.alignment` must be among the keys (we add it if absent).
 */
export async function writeGguf(
  path: string,
  file: { kv: ReadonlyArray<[string, GgufValue]>; tensors: readonly GgufTensorToWrite[]; alignment?: number },
): Promise<void> {
  const alignment = file.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  const kv = [...file.kv];
  const keys = new Set(kv.map(([k]) => k));
  if (keys.size !== kv.length) throw new Error("writeGguf: repeated metadata key");
  if (alignment !== GGUF_DEFAULT_ALIGNMENT && !keys.has("general.alignment")) kv.push(["general.alignment", { type: "uint32", value: alignment }]);
  const h = new Bytes();
  h.u32(GGUF_MAGIC);
  h.u32(GGUF_VERSION);
  h.u64(file.tensors.length);
  h.u64(kv.length);
  for (const [key, value] of kv) {
    h.string(key);
    h.value(value);
  }
  let offset = 0;
  for (const t of file.tensors) {
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`writeGguf: tensor "${t.name}" data does not match shape [${t.shape.join(", ")}]`);
    if ((t.type === "Q8_0" || t.type === "Q4_0") && t.shape[t.shape.length - 1] % QUANT_BLOCK !== 0) {
      throw new Error(`writeGguf: tensor "${t.name}" has rows of ${t.shape[t.shape.length - 1]} values; ${t.type} needs a multiple of ${QUANT_BLOCK}`);
    }
    h.string(t.name);
    h.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) h.u64(t.shape[d]);
    h.u32(TYPE_IDS[t.type]);
    h.u64(offset);
    offset = alignUp(offset + tensorBytes(t), alignment);
  }
  h.pad(alignment);
  await writeBytesAtomic(path, async (fh) => {
    await writeAll(fh, h.bytes());
    let written = 0;
    for (const t of file.tensors) {
      const bytes = encodeTensor(t);
      await writeAll(fh, bytes);
      written += bytes.byteLength;
      const pad = alignUp(written, alignment) - written;
      if (pad) await writeAll(fh, new Uint8Array(pad));
      written += pad;
    }
  });
}
