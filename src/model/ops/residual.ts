/**
 * Residual connection (He et al. 2016, "Deep Residual Learning", eq. 1): out = x + y,
 * element-wise over n values. Native kernel: native/residual.c.
 */
import type { Buf } from "../../tensor/index.js";

export function residualForward(a: { out: Buf; x: Buf; y: Buf; n: number }): void {
  const { out, x, y, n } = a;
  for (let i = 0; i < n; i++) out[i] = x[i] + y[i];
}

/** Differentiates `out = x + y`: dx += dout, dy += dout. */
export function residualBackward(a: { dx: Buf; dy: Buf; dout: Buf; n: number }): void {
  const { dx, dy, dout, n } = a;
  for (let i = 0; i < n; i++) {
    dx[i] += dout[i];
    dy[i] += dout[i];
  }
}
