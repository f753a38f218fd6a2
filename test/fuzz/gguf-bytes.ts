/**
 * A GGUF byte builder for the fuzz properties that records where every count, length,
 * type tag, dimension and offset sits, so a property can make exactly that field lie.
 * Written independently of src/formats/gguf so it can also write what the writer refuses
 * (unknown type codes, nested arrays, any dims); layout in src/formats/gguf/types.ts.
 */
export interface GgufField {
  at: number;
  width: 4 | 8;
  what: string;
}

export type RawValue =
  | { type: number; scalar: Uint8Array }
  | { type: 8; text: string }
  | { type: 9; itemType: number; items: Uint8Array[]; count?: bigint };

export interface RawTensor {
  name: string;
  dims: bigint[];
  type: number;
  offset: bigint;
}

export class GgufBytes {
  private parts: Buffer[] = [];
  private length = 0;
  readonly fields: GgufField[] = [];

  private push(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(v: number, what?: string): this {
    if (what) this.fields.push({ at: this.length, width: 4, what });
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.push(b);
    return this;
  }
  u64(v: bigint, what?: string): this {
    if (what) this.fields.push({ at: this.length, width: 8, what });
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    this.push(b);
    return this;
  }
  raw(b: Uint8Array): this {
    this.push(Buffer.from(b));
    return this;
  }
  string(s: string, what: string): this {
    const b = Buffer.from(s, "utf8");
    return this.u64(BigInt(b.length), `${what} length`).raw(b);
  }
  value(v: RawValue, what: string): this {
    if ("text" in v) return this.string(v.text, what);
    if ("items" in v) {
      this.u32(v.itemType, `${what} item type`).u64(v.count ?? BigInt(v.items.length), `${what} array length`);
      for (const it of v.items) this.raw(it);
      return this;
    }
    return this.raw(v.scalar);
  }
  kv(key: string, v: RawValue): this {
    return this.string(key, `key "${key}"`).u32(v.type, `type of "${key}"`).value(v, `"${key}"`);
  }
  tensor(t: RawTensor): this {
    this.string(t.name, `tensor "${t.name}" name`).u32(t.dims.length, `tensor "${t.name}" n_dims`);
    t.dims.forEach((d, i) => this.u64(d, `tensor "${t.name}" dim ${i}`));
    return this.u32(t.type, `tensor "${t.name}" type`).u64(t.offset, `tensor "${t.name}" offset`);
  }
  padTo(alignment: number): this {
    const pad = (alignment - (this.length % alignment)) % alignment;
    return this.raw(new Uint8Array(pad));
  }
  get size(): number {
    return this.length;
  }
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

const le = (bytes: number, write: (b: Buffer) => void): Uint8Array => {
  const b = Buffer.alloc(bytes);
  write(b);
  return new Uint8Array(b);
};
export const u32v = (v: number): RawValue => ({ type: 4, scalar: le(4, (b) => b.writeUInt32LE(v)) });
export const strv = (text: string): RawValue => ({ type: 8, text });
export const strItem = (s: string): Uint8Array => {
  const t = Buffer.from(s, "utf8");
  return Uint8Array.from([...le(8, (b) => b.writeBigUInt64LE(BigInt(t.length))), ...t]);
};
export const i32Item = (v: number): Uint8Array => le(4, (b) => b.writeInt32LE(v));

/** A header: magic, version, counts, metadata, tensor infos, padding to `alignment`. */
export function ggufHeader(kv: [string, RawValue][], tensors: RawTensor[], o: { version?: number; alignment?: number } = {}): GgufBytes {
  const g = new GgufBytes().u32(0x46554747, "magic").u32(o.version ?? 3, "version");
  g.u64(BigInt(tensors.length), "tensor count").u64(BigInt(kv.length), "metadata count");
  for (const [k, v] of kv) g.kv(k, v);
  for (const t of tensors) g.tensor(t);
  return g.padTo(o.alignment ?? 32);
}
