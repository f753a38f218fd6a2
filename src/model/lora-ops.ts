/**
 * The LoRA update of one linear layer, forward and backward (Hu et al. 2021, eq. 3):
 *
 *   y += s · (d(x) Aᵀ) Bᵀ        x (N, IN), A (r, IN), B (OUT, r), s = alpha / r
 *
 * where d is inverted dropout on the adapter's input only (PEFT: lora_B(lora_A(dropout(x)))),
 * d(x) = x ⊙ mask, mask ∈ {0, 1/(1−p)}. The forward keeps xs = s · d(x) Aᵀ (N, r), so
 * y += xs Bᵀ and backward needs no extra product (dxa is the gradient of xa = d(x) Aᵀ):
 *   dB  += dyᵀ xs                      (OUT, N)·(N, r)
 *   dxa  = s · dy B                    (N, OUT)·(OUT, r)
 *   dA  += dxaᵀ d(x)                   (r, N)·(N, IN)
 *   dx  += (dxa A) ⊙ mask              (N, r)·(r, IN)
 * A fresh adapter has B = 0, so y gains exact zeros and the base's outputs are unchanged.
 */
import type { Buf, Kernels } from "../tensor/index.js";
import { matmul } from "./ops/index.js";

export interface LoraFactors<B extends Buf> {
  A: B; // (r, IN)
  B: B; // (OUT, r)
}

export interface LoraShape {
  N: number;
  IN: number;
  OUT: number;
  r: number;
  scale: number;
}

function scaleInPlace(x: Buf, n: number, s: number): void {
  for (let i = 0; i < n; i++) x[i] *= s;
}

/** d(x) into `tmp` when there is a mask, else x itself. */
function dropped(x: Buf, mask: Buf | null, tmp: Buf | null, n: number): Buf {
  if (!mask) return x;
  for (let i = 0; i < n; i++) tmp![i] = x[i] * mask[i];
  return tmp!;
}

/** out += s · (d(x) Aᵀ) Bᵀ, keeping xs = s · d(x) Aᵀ (N, r). `tmp` (N, IN) is needed only with a mask. */
export function loraForward(k: Kernels, f: LoraFactors<Buf>, sh: LoraShape, a: { out: Buf; inp: Buf; xs: Buf; mask: Buf | null; tmp: Buf | null }): void {
  const { N, IN, OUT, r } = sh;
  const x = dropped(a.inp, a.mask, a.tmp, N * IN);
  matmul(k, { out: a.xs, a: x, b: f.A, M: N, N: r, K: IN, transB: true });
  scaleInPlace(a.xs, N * r, sh.scale);
  matmul(k, { out: a.out, a: a.xs, b: f.B, M: N, N: OUT, K: r, transB: true, accumulate: true });
}

/**
 * Adds dA, dB into `g` (skipped when null: a fixed adapter) and the adapter's share of dx
 * into `dinp`. `dxa` (N, r) is scratch; `tmp` (N, IN) is needed only with a mask.
 */
export function loraBackward(k: Kernels, f: LoraFactors<Buf>, g: LoraFactors<Buf> | null, sh: LoraShape, a: {
  dinp: Buf; dout: Buf; inp: Buf; xs: Buf; mask: Buf | null; dxa: Buf; tmp: Buf | null;
}): void {
  const { N, IN, OUT, r } = sh;
  if (g) matmul(k, { out: g.B, a: a.dout, b: a.xs, M: OUT, N: r, K: N, transA: true, accumulate: true });
  matmul(k, { out: a.dxa, a: a.dout, b: f.B, M: N, N: r, K: OUT });
  scaleInPlace(a.dxa, N * r, sh.scale);
  if (g) matmul(k, { out: g.A, a: a.dxa, b: dropped(a.inp, a.mask, a.tmp, N * IN), M: r, N: IN, K: N, transA: true, accumulate: true });
  if (!a.mask) {
    matmul(k, { out: a.dinp, a: a.dxa, b: f.A, M: N, N: IN, K: r, accumulate: true });
    return;
  }
  const t = a.tmp!;
  matmul(k, { out: t, a: a.dxa, b: f.A, M: N, N: IN, K: r });
  for (let i = 0; i < N * IN; i++) a.dinp[i] += t[i] * a.mask[i];
}
