/**
 * RMSNorm (Zhang & Sennrich 2019): y = w ⊙ x / sqrt(mean(x²) + eps), per row.
 * Shapes: N rows, C channels. `rstd` (N) keeps 1/sqrt(mean(x²)+eps) for backward.
 */
import type { Buf } from "../../tensor/index.js";

export function rmsnormForward(a: { out: Buf; rstd: Buf; inp: Buf; weight: Buf; N: number; C: number; eps: number }): void {
  const { out, rstd, inp, weight, N, C, eps } = a;
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let ss = 0;
    for (let c = 0; c < C; c++) ss += inp[o + c] * inp[o + c];
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[n] = r;
    for (let c = 0; c < C; c++) out[o + c] = inp[o + c] * r * weight[c];
  }
}

/**
 * Differentiates `out = x · r · w` with r = (mean(x²)+eps)^(-1/2):
 *   dw += Σₙ dout · x̂,   x̂ = x · r
 *   dx += r · (g − x̂ · mean(g · x̂)),   g = dout ⊙ w
 */
export function rmsnormBackward(a: {
  dinp: Buf; dweight: Buf; dout: Buf; inp: Buf; weight: Buf; rstd: Buf; N: number; C: number;
}): void {
  const { dinp, dweight, dout, inp, weight, rstd, N, C } = a;
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const r = rstd[n];
    let dot = 0;
    for (let c = 0; c < C; c++) dot += dout[o + c] * weight[c] * inp[o + c] * r;
    const m = dot / C;
    for (let c = 0; c < C; c++) {
      const xhat = inp[o + c] * r;
      dweight[c] += dout[o + c] * xhat;
      dinp[o + c] += r * (dout[o + c] * weight[c] - xhat * m);
    }
  }
}
