/**
 * SwiGLU (Shazeer 2020, "GLU Variants Improve Transformer"): h = silu(gate) ⊙ up,
 * silu(g) = g · σ(g). Shapes: gate, up, h are (N, F), flattened to n = N·F values.
 */
import type { Buf } from "../../tensor/index.js";

export function swigluForward(a: { out: Buf; gate: Buf; up: Buf; n: number }): void {
  const { out, gate, up, n } = a;
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    out[i] = (g / (1 + Math.exp(-g))) * up[i];
  }
}

/**
 * Differentiates `out = g σ(g) · u`:
 *   dup   += dout · g σ(g)
 *   dgate += dout · u · σ(g) (1 + g (1 − σ(g)))
 * `accumulate: false` writes dgate and dup instead of adding (the training pass, where
 * nothing else feeds them: it saves zeroing 2·n floats first and reading them back).
 */
export function swigluBackward(a: { dgate: Buf; dup: Buf; dout: Buf; gate: Buf; up: Buf; n: number; accumulate?: boolean }): void {
  const { dgate, dup, dout, gate, up, n } = a;
  const add = a.accumulate !== false;
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const s = 1 / (1 + Math.exp(-g));
    dup[i] = (add ? dup[i] : 0) + dout[i] * g * s;
    dgate[i] = (add ? dgate[i] : 0) + dout[i] * up[i] * s * (1 + g * (1 - s));
  }
}
