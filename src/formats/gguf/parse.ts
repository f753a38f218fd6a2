/**
 * Synchronous GGUF header parser over a prefix of the file (spec in ./types.ts).
 * Running past the prefix throws `NeedMore` so the caller can read further and retry;
 * malformed content returns an error.
 */
import { fail, ok, type Result } from "../result.js";
import {
  alignUp, GGML_TYPES, ggmlBytes, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VALUE_TYPES, SCALAR_SIZES,
  type GgufScalar, type GgufScalarType, type GgufValue,
} from "./types.js";

export class NeedMore extends Error {
  constructor(readonly needed: number, readonly where: string) {
    super(`need ${needed} bytes to parse ${where}`);
  }
}

/** A malformed header: reported as `bad_header`. */
class Malformed extends Error {
  constructor(message: string, readonly tensor?: string) {
    super(message);
  }
}

export interface GgufHeader {
  version: number;
  kv: Map<string, GgufValue>;
  tensors: { name: string; dims: number[]; shape: number[]; type: number; typeName: string; offset: number; bytes?: number }[];
  alignment: number;
  dataStart: number;
}

class Cursor {
  pos = 0;
  where = "the header";
  constructor(private readonly b: Buffer) {}
  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.b.length) throw new NeedMore(at + n, this.where);
    this.pos += n;
    return at;
  }
  u32(): number {
    return this.b.readUInt32LE(this.need(4));
  }
  /** A u64 that must fit a safe integer (counts, lengths, dims, offsets). */
  count(what: string): number {
    const v = this.b.readBigUInt64LE(this.need(8));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed(`${what} ${v} is impossibly large`);
    return Number(v);
  }
  string(what: string): string {
    const n = this.count(`${what} length`);
    return this.b.toString("utf8", this.need(n), this.pos);
  }
  scalar(type: GgufScalarType): GgufScalar {
    if (type === "string") return this.string("string");
    const o = this.need(SCALAR_SIZES[type]);
    const b = this.b;
    switch (type) {
      case "uint8": return b.readUInt8(o);
      case "int8": return b.readInt8(o);
      case "uint16": return b.readUInt16LE(o);
      case "int16": return b.readInt16LE(o);
      case "uint32": return b.readUInt32LE(o);
      case "int32": return b.readInt32LE(o);
      case "float32": return b.readFloatLE(o);
      case "float64": return b.readDoubleLE(o);
      case "bool": return b.readUInt8(o) !== 0;
      case "uint64": return b.readBigUInt64LE(o);
      case "int64": return b.readBigInt64LE(o);
    }
  }
  valueType(): (typeof GGUF_VALUE_TYPES)[number] {
    const code = this.u32();
    const t = GGUF_VALUE_TYPES[code];
    if (t === undefined) throw new Malformed(`unknown metadata value type ${code} in ${this.where}`);
    return t;
  }
}

export function parseGgufHeader(file: string, buf: Buffer): Result<GgufHeader> {
  const c = new Cursor(buf);
  try {
    if (c.u32() !== GGUF_MAGIC) return fail({ code: "bad_header", file, message: `the file does not start with "GGUF"; it is not a GGUF model` });
    const version = c.u32();
    if (version !== 2 && version !== 3) return fail({ code: "bad_header", file, message: `GGUF version ${version} is not supported (2 and 3 are)` });
    const nTensors = c.count("tensor count");
    const nKv = c.count("metadata count");
    const kv = new Map<string, GgufValue>();
    for (let i = 0; i < nKv; i++) {
      c.where = `metadata entry ${i}`;
      const key = c.string("key");
      c.where = `metadata "${key}"`;
      const type = c.valueType();
      if (type !== "array") {
        kv.set(key, { type, value: c.scalar(type) } as GgufValue);
        continue;
      }
      const itemType = c.valueType();
      if (itemType === "array") throw new Malformed(`metadata "${key}" is a nested array, which ftledger does not read`);
      const n = c.count(`metadata "${key}" array length`);
      // ask for the minimum bytes the items need before allocating (a corrupt count fails as truncated)
      const minBytes = n * (itemType === "string" ? 8 : SCALAR_SIZES[itemType]);
      if (c.pos + minBytes > buf.length) throw new NeedMore(c.pos + minBytes, c.where);
      const items: GgufScalar[] = new Array(n);
      for (let j = 0; j < n; j++) items[j] = c.scalar(itemType);
      kv.set(key, { type: "array", itemType, value: items });
    }
    const al = kv.get("general.alignment");
    const alignment = al === undefined ? GGUF_DEFAULT_ALIGNMENT : al.type === "uint32" ? al.value : -1;
    if (!(alignment > 0 && (alignment & (alignment - 1)) === 0)) throw new Malformed(`general.alignment must be a power-of-two uint32`);
    const tensors: GgufHeader["tensors"] = [];
    const names = new Set<string>();
    for (let i = 0; i < nTensors; i++) {
      c.where = `tensor info ${i}`;
      const name = c.string("tensor name");
      c.where = `tensor "${name}"`;
      if (names.has(name)) throw new Malformed(`tensor name repeated`, name);
      names.add(name);
      const nDims = c.u32();
      if (nDims < 1 || nDims > 4) throw new Malformed(`${nDims} dimensions (ggml allows 1 to 4)`, name);
      const dims: number[] = [];
      for (let d = 0; d < nDims; d++) dims.push(c.count("dimension"));
      const type = c.u32();
      const offset = c.count("offset");
      const numel = dims.reduce((a, b) => a * b, 1);
      const typeName = GGML_TYPES[type]?.name ?? `type ${type}`;
      tensors.push({ name, dims, shape: [...dims].reverse(), type, typeName, offset, bytes: ggmlBytes(type, numel) });
    }
    return ok({ version, kv, tensors, alignment, dataStart: alignUp(c.pos, alignment) });
  } catch (e) {
    if (e instanceof Malformed) return fail({ code: "bad_header", file, tensor: e.tensor, message: e.message });
    throw e; // NeedMore goes to the caller; anything else is a bug
  }
}
