/**
 * Element types shared by safetensors and GGUF, and conversions to and from float32.
 *
 * IEEE 754 binary16 (F16): 1 sign, 5 exponent (bias 15), 10 mantissa bits.
 * bfloat16 (BF16): the upper 16 bits of a float32.
 * Narrowing rounds to nearest, ties to even (as torch's `.half()` / `.bfloat16()` do).
 *
 * NOTE: file bytes are little-endian (both specs); typed arrays use the host order, so
 * `assertLittleEndianHost` guards the zero-copy paths (every Node platform we ship is LE).
 */
import { endianness } from "node:os";

export type FloatDType = "F32" | "F16" | "BF16";

export function assertLittleEndianHost(): void {
  if (endianness() !== "LE") throw new Error("ftledger's model formats need a little-endian host");
}

const f32Box = new Float32Array(1);
const u32Box = new Uint32Array(f32Box.buffer);

/** float32 → binary16 bits, round to nearest even; overflow → ±Inf, NaN stays NaN. */
export function f32ToF16Bits(v: number): number {
  f32Box[0] = v;
  const x = u32Box[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // subnormal half: value = m · 2^-24, m = (1.mant) · 2^(exp-126) → shift by 14 - e
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // a carry out of the mantissa correctly bumps the exponent (up to Inf)
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) r++;
  return sign | r;
}

let f16Table: Float32Array | null = null;

/** All 65536 half values as float32 (built once; 256 KiB). */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m ? NaN : s * Infinity;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (f16Table = t);
}

export function f16BitsToF32(h: number): number {
  return halfTable()[h & 0xffff];
}

/** float32 → bfloat16 bits, round to nearest even; NaN stays NaN. */
export function f32ToBf16Bits(v: number): number {
  f32Box[0] = v;
  const x = u32Box[0];
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Little-endian bytes of `data` in `dtype` (a fresh buffer except for F32, which is a view). */
export function encodeFloats(data: Float32Array, dtype: FloatDType): Uint8Array {
  assertLittleEndianHost();
  if (dtype === "F32") return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint16Array(data.length);
  const conv = dtype === "F16" ? f32ToF16Bits : f32ToBf16Bits;
  for (let i = 0; i < data.length; i++) out[i] = conv(data[i]);
  return new Uint8Array(out.buffer);
}

/**
 * Decode `bytes` (little-endian `dtype`) into `out` (float32). `bytes` must hold exactly
 * out.length elements; F64 is narrowed to the nearest float32.
 */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDType | "F64", out: Float32Array): void {
  assertLittleEndianHost();
  const n = out.length;
  const size = dtype === "F32" ? 4 : dtype === "F64" ? 8 : 2;
  if (bytes.byteLength !== n * size) throw new Error(`decodeFloats: ${bytes.byteLength} bytes for ${n} ${dtype} values`);
  // copy to an aligned buffer when the view is misaligned for the element size
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  if (dtype === "F32") {
    out.set(new Float32Array(aligned.buffer, aligned.byteOffset, n));
  } else if (dtype === "F64") {
    out.set(new Float64Array(aligned.buffer, aligned.byteOffset, n));
  } else if (dtype === "F16") {
    const t = halfTable();
    const h = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
    for (let i = 0; i < n; i++) out[i] = t[h[i]];
  } else {
    const h = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
    const o = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = 0; i < n; i++) o[i] = h[i] << 16;
  }
}
