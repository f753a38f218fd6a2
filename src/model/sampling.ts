/**
 * Turning logits into a token: log-softmax, greedy choice, and seeded sampling with
 * temperature, top-k (Fan et al. 2018) and top-p / nucleus (Holtzman et al. 2020).
 */
import type { Rng } from "../random/index.js";

export interface SamplingOptions {
  /** 0 = greedy. */
  temperature?: number;
  /** Keep the k most likely tokens; 0 = all. */
  topK?: number;
  /** Keep the smallest set whose probability reaches p; 1 = all. */
  topP?: number;
}

/** log softmax(logits), in float64. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[i] - max);
  const logZ = max + Math.log(sum);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = logits[i] - logZ;
  return out;
}

/** Index of the largest value; ties go to the lowest index (as torch.argmax). */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng): number {
  const temperature = opts.temperature ?? 1;
  if (temperature <= 0) return argmax(logits);
  const V = logits.length;
  // 1. tempered probabilities, most likely first
  const scaled = new Float64Array(V);
  for (let i = 0; i < V; i++) scaled[i] = logits[i] / temperature;
  const lp = logSoftmax(scaled);
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => lp[b] - lp[a] || a - b);
  // 2. truncate to top-k, then to the nucleus of mass top-p
  let keep = opts.topK && opts.topK > 0 ? Math.min(opts.topK, V) : V;
  const topP = opts.topP ?? 1;
  if (topP < 1) {
    let mass = 0;
    for (let r = 0; r < keep; r++) {
      mass += Math.exp(lp[order[r]]);
      if (mass >= topP) {
        keep = r + 1;
        break;
      }
    }
  }
  // 3. draw from the renormalised kept set
  let total = 0;
  for (let r = 0; r < keep; r++) total += Math.exp(lp[order[r]]);
  let u = rng.next() * total;
  for (let r = 0; r < keep; r++) {
    u -= Math.exp(lp[order[r]]);
    if (u < 0) return order[r];
  }
  return order[keep - 1];
}
