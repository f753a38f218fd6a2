/**
 * ggml's two simplest block quantisations, as llama.cpp's reference quantiser writes them
 * (ggml-quants.c, `quantize_row_q8_0_ref` / `quantize_row_q4_0_ref`), so that a file
 * written here is what `llama-quantize` would write for the same weights:
 *
 *   Q8_0  blocks of 32 values: f16 scale d = max|x| / 127, then 32 int8 q = round(x / d)
 *         (34 bytes); x ≈ d · q.
 *   Q4_0  blocks of 32 values: f16 scale d = m / −8 where m is the value of largest |x|
 *         (its sign kept), then 16 bytes of 4-bit q = min(15, trunc(x / d + 8.5)): byte j
 *         holds value j in its low nibble and value j + 16 in its high one (18 bytes);
 *         x ≈ d · (q − 8).
 *
 * Blocks run along the fastest-varying axis (a row of a row-major matrix), so a row's
 * length must be a multiple of 32.
 * NOTE: both scale by f32 math and store the scale as f16, as ggml does; dequantising
 * uses the f16 scale, which is what llama.cpp computes with.
 */
import { f16BitsToF32, f32ToF16Bits } from "../dtype.js";

export const QUANT_BLOCK = 32;
export type QuantType = "Q8_0" | "Q4_0";
/** Bytes per block of 32 values. */
export const QUANT_BLOCK_BYTES: Record<QuantType, number> = { Q8_0: 34, Q4_0: 18 };

const f32 = Math.fround;

/** Whether a tensor of this row-major shape can be stored in blocks of 32 along its rows. */
export function quantizable(shape: readonly number[]): boolean {
  return shape.length >= 2 && shape[shape.length - 1] % QUANT_BLOCK === 0;
}

export function quantize(data: Float32Array, type: QuantType): Uint8Array {
  if (data.length % QUANT_BLOCK !== 0) throw new Error(`quantize ${type}: ${data.length} values are not a whole number of ${QUANT_BLOCK}-value blocks`);
  return type === "Q8_0" ? quantizeQ8_0(data) : quantizeQ4_0(data);
}

export function dequantize(bytes: Uint8Array, type: QuantType, out: Float32Array): Float32Array {
  const blocks = out.length / QUANT_BLOCK;
  if (!Number.isInteger(blocks) || bytes.length !== blocks * QUANT_BLOCK_BYTES[type]) {
    throw new Error(`dequantize ${type}: ${bytes.length} bytes do not hold ${out.length} values`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = QUANT_BLOCK_BYTES[type];
  for (let b = 0; b < blocks; b++) {
    const at = b * size;
    const d = f16BitsToF32(view.getUint16(at, true));
    const o = b * QUANT_BLOCK;
    if (type === "Q8_0") for (let j = 0; j < QUANT_BLOCK; j++) out[o + j] = d * view.getInt8(at + 2 + j);
    else {
      for (let j = 0; j < QUANT_BLOCK / 2; j++) {
        const q = bytes[at + 2 + j];
        out[o + j] = d * ((q & 0x0f) - 8);
        out[o + j + QUANT_BLOCK / 2] = d * ((q >> 4) - 8);
      }
    }
  }
  return out;
}

function quantizeQ8_0(x: Float32Array): Uint8Array {
  const blocks = x.length / QUANT_BLOCK;
  const out = new Uint8Array(blocks * QUANT_BLOCK_BYTES.Q8_0);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const o = b * QUANT_BLOCK;
    let amax = 0;
    for (let j = 0; j < QUANT_BLOCK; j++) amax = Math.max(amax, Math.abs(x[o + j]));
    const d = f32(amax / 127);
    const id = d ? f32(1 / d) : 0;
    const at = b * QUANT_BLOCK_BYTES.Q8_0;
    view.setUint16(at, f32ToF16Bits(d), true);
    // C's roundf: halves away from zero (Math.round rounds them up)
    for (let j = 0; j < QUANT_BLOCK; j++) view.setInt8(at + 2 + j, roundAway(f32(x[o + j] * id)));
  }
  return out;
}

function quantizeQ4_0(x: Float32Array): Uint8Array {
  const blocks = x.length / QUANT_BLOCK;
  const out = new Uint8Array(blocks * QUANT_BLOCK_BYTES.Q4_0);
  const view = new DataView(out.buffer);
  const half = QUANT_BLOCK / 2;
  for (let b = 0; b < blocks; b++) {
    const o = b * QUANT_BLOCK;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QUANT_BLOCK; j++) {
      const v = x[o + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f32(max / -8);
    const id = d ? f32(1 / d) : 0;
    const at = b * QUANT_BLOCK_BYTES.Q4_0;
    view.setUint16(at, f32ToF16Bits(d), true);
    for (let j = 0; j < half; j++) {
      // (int8_t)(v + 8.5f) truncates toward zero; v + 8.5 ≥ 0.5 here, so it is a floor
      const lo = Math.min(15, Math.trunc(f32(f32(x[o + j] * id) + 8.5)));
      const hi = Math.min(15, Math.trunc(f32(f32(x[o + half + j] * id) + 8.5)));
      out[at + 2 + j] = lo | (hi << 4);
    }
  }
  return out;
}

function roundAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}
