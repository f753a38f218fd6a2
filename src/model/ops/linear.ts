/**
 * Linear layer without bias, torch.nn.Linear layout: y = x Wᵀ.
 * Shapes: x (N, IN), W (OUT, IN), y (N, OUT).
 */
import type { Buf, Kernels, MatmulArgs } from "../../tensor/index.js";
import { matmulReference } from "../../tensor/index.js";

/** Float32 buffers go to the kernels; Float64 (gradient checks) to the reference. */
export function matmul(k: Kernels, args: MatmulArgs): void {
  if (args.out instanceof Float32Array) k.matmul(args as MatmulArgs<Float32Array>);
  else matmulReference(args);
}

export function linearForward(k: Kernels, a: { out: Buf; inp: Buf; weight: Buf; N: number; IN: number; OUT: number }): void {
  matmul(k, { out: a.out, a: a.inp, b: a.weight, M: a.N, N: a.OUT, K: a.IN, transB: true });
}

/**
 * Differentiates `y = x Wᵀ`:
 *   dx (+)= dy W        (N, OUT)·(OUT, IN)
 *   dW  += dyᵀ x        (OUT, N)·(N, IN)
 * `accumulateInput` adds into dinp (when x feeds several layers) instead of overwriting.
 */
export function linearBackward(k: Kernels, a: {
  dinp: Buf; dweight: Buf; dout: Buf; inp: Buf; weight: Buf; N: number; IN: number; OUT: number; accumulateInput: boolean;
}): void {
  matmul(k, { out: a.dinp, a: a.dout, b: a.weight, M: a.N, N: a.IN, K: a.OUT, accumulate: a.accumulateInput });
  matmul(k, { out: a.dweight, a: a.dout, b: a.inp, M: a.OUT, N: a.IN, K: a.N, transA: true, accumulate: true });
}
