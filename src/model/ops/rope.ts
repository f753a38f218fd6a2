/**
 * Rotary position embedding (Su et al. 2021, RoFormer, arXiv 2104.09864), in the
 * Hugging Face "rotate_half" layout: within each head of size HS the pair (i, i + HS/2)
 * is rotated by angle pos · θ^(−2i/HS). Applied in place to a (N, H·HS) buffer whose row n sits
 * at position positions[n]. Key: N = positions.length rows, H heads, HS head size.
 * Native kernel: native/rope.c (test/tensor/elementwise.test.ts compares the two).
 */
import type { Buf, RopeTable } from "../../tensor/index.js";

/** cos/sin tables (maxPos, HS/2) for positions 0 … maxPos−1 (the kernels' type). */
export type { RopeTable };

export function ropeTable(HS: number, maxPos: number, theta: number): RopeTable {
  const half = HS / 2;
  const cos = new Float64Array(maxPos * half);
  const sin = new Float64Array(maxPos * half);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      // NOTE: inv_freq is computed in float32 by HF/PyTorch (theta ** (arange/HS) as f32);
      // we follow the float64 definition; the difference is below fp32 noise at these T.
      const invFreq = 1 / Math.pow(theta, (2 * i) / HS);
      cos[p * half + i] = Math.cos(p * invFreq);
      sin[p * half + i] = Math.sin(p * invFreq);
    }
  }
  return { cos, sin, half, maxPos };
}

function rotate(x: Buf, positions: Int32Array, H: number, HS: number, t: RopeTable, sign: 1 | -1): void {
  const half = t.half;
  const D = H * HS;
  for (let n = 0; n < positions.length; n++) {
    const pos = positions[n];
    const base = pos * half;
    for (let h = 0; h < H; h++) {
      const o = n * D + h * HS;
      for (let i = 0; i < half; i++) {
        const c = t.cos[base + i];
        const s = sign * t.sin[base + i];
        const x1 = x[o + i];
        const x2 = x[o + i + half];
        x[o + i] = x1 * c - x2 * s;
        x[o + i + half] = x2 * c + x1 * s;
      }
    }
  }
}

/** x ← R(pos) x for every head (in place). */
export function ropeForward(a: { x: Buf; positions: Int32Array; H: number; HS: number; table: RopeTable }): void {
  rotate(a.x, a.positions, a.H, a.HS, a.table, 1);
}

/** Differentiates `x ← R(pos) x`: dx ← R(pos)ᵀ dx = R(−pos) dx (in place). */
export function ropeBackward(a: { dx: Buf; positions: Int32Array; H: number; HS: number; table: RopeTable }): void {
  rotate(a.dx, a.positions, a.H, a.HS, a.table, -1);
}
