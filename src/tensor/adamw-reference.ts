/**
 * AdamW in plain TypeScript: the reference that fused native and wasm versions are checked
 * against, and the fallback the trainer uses when a kernel set has no fused adamw.
 *
 * Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", in the order
 * torch.optim.AdamW applies it (decay first, then the Adam step):
 *
 *   g  = grad · gradScale
 *   m  = β1·m + (1 − β1)·g
 *   v  = β2·v + (1 − β2)·g²
 *   p  = p · (1 − lr·wd)                      only where decayMask is 1
 *   p -= lr · m̂ / (√v̂ + eps)                 m̂ = m / (1 − β1^step), v̂ = v / (1 − β2^step)
 *
 * NOTE: the arithmetic is in double with a float32 store after m, v, the decayed p and
 * the final p (Math.fround marks the one that is not an array store). The native
 * native C loop rounds at the same points, so the two agree to within an ulp.
 */
import type { AdamwKernelArgs } from "./kernels.js";

export function adamwReference(args: AdamwKernelArgs): void {
  const { params, grads, m, v, decayMask, lr, beta1, beta2, eps, weightDecay, step, gradScale } = args;
  const n = params.length;
  if (grads.length !== n || m.length !== n || v.length !== n || decayMask.length !== n) {
    throw new Error(
      `adamw: params (${n}), grads (${grads.length}), m (${m.length}), v (${v.length}) and ` +
        `decayMask (${decayMask.length}) must have the same length`,
    );
  }
  if (!Number.isInteger(step) || step < 1) throw new Error(`adamw: step must be an integer ≥ 1 (1-based), got ${step}`);
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const keep = 1 - lr * weightDecay;
  for (let i = 0; i < n; i++) {
    // 1. scaled gradient and the two moments (stored as float32)
    const g = grads[i] * gradScale;
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    // 2. decoupled weight decay, before the Adam step as torch does
    let p = params[i];
    if (decayMask[i] !== 0) p = Math.fround(p * keep);
    // 3. bias-corrected Adam step
    const mhat = m[i] / bc1;
    const vhat = v[i] / bc2;
    params[i] = p - lr * (mhat / (Math.sqrt(vhat) + eps));
  }
}
