/**
 * Softmax cross-entropy with a per-token loss mask (train on response tokens only).
 *   loss = Σₙ maskₙ · (−log softmax(logitsₙ)[targetₙ]) / Σₙ maskₙ
 * Shapes: logits (N, V); targets, mask (N).
 */
import type { Buf } from "../../tensor/index.js";

export interface CrossEntropyResult {
  /** Masked mean loss; NaN when no token is masked in. */
  loss: number;
  /** Σ mask: the number of tokens the loss averages over. */
  count: number;
}

/**
 * Writes per-token log p(target) into `logprobs` (N) and, when `probs` is given,
 * the softmax (N, V) for backward. Masked-out tokens still get their logprob.
 */
export function crossEntropyForward(a: {
  logprobs: Buf; probs?: Buf; logits: Buf; targets: Int32Array; mask: Float32Array | null; N: number; V: number;
}): CrossEntropyResult {
  const { logprobs, probs, logits, targets, mask, N, V } = a;
  let total = 0;
  let count = 0;
  for (let n = 0; n < N; n++) {
    const o = n * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[o + v] > max) max = logits[o + v];
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[o + v] - max);
    const logZ = max + Math.log(sum);
    // NOTE: read the target's logit before `probs` (which may alias `logits`) is written.
    const lp = logits[o + targets[n]] - logZ;
    if (probs) for (let v = 0; v < V; v++) probs[o + v] = Math.exp(logits[o + v] - logZ);
    logprobs[n] = lp;
    const w = mask ? mask[n] : 1;
    total -= w * lp;
    count += w;
  }
  return { loss: count > 0 ? total / count : NaN, count };
}

/**
 * Differentiates the masked mean: dlogitsₙ = maskₙ / Σmask · (softmaxₙ − onehot(targetₙ)).
 * Written in place over `probs` (which becomes dlogits).
 */
export function crossEntropyBackward(a: { probs: Buf; targets: Int32Array; mask: Float32Array | null; count: number; N: number; V: number }): void {
  const { probs, targets, mask, count, N, V } = a;
  for (let n = 0; n < N; n++) {
    const o = n * V;
    const w = (mask ? mask[n] : 1) / count;
    for (let v = 0; v < V; v++) probs[o + v] *= w;
    probs[o + targets[n]] -= w;
  }
}
