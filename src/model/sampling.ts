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

/** `a` ranks before `b`: a higher value, or an equal one and a lower index (as `argmax`). */
function before(x: ArrayLike<number>, a: number, b: number): boolean {
  return x[a] > x[b] || (x[a] === x[b] && a < b);
}

/** Vocabularies up to this size are ordered by insertion sort, which beats a comparator sort there. */
const INSERTION_SORT_MAX = 256;

/**
 * The indices of the `k` largest values of `x`, largest first, ties to the lowest index
 * (all of them when k ≥ length). The order is the same as sorting every index by
 * (value desc, index asc); what differs is the cost: a window of the best k when k is
 * small against the length, insertion sort on short vectors, a typed-array sort otherwise.
 * NOTE: an audit orders a distribution per generated or scored token; sorting boxed
 * numbers with a closure there was a measurable share of the engine's decode time.
 */
export function topIndices(x: ArrayLike<number>, k: number): Int32Array {
  const n = x.length;
  const m = Math.max(0, Math.min(Math.floor(k), n));
  if (m === 0) return new Int32Array(0);
  if (m * 8 < n) return topWindow(x, m);
  if (n <= INSERTION_SORT_MAX) return insertionOrder(x).subarray(0, m);
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  all.sort((a, b) => (before(x, a, b) ? -1 : 1));
  return all.subarray(0, m);
}

/** Every index, in rank order, by insertion. */
function insertionOrder(x: ArrayLike<number>): Int32Array {
  const n = x.length;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let j = i;
    while (j > 0 && before(x, i, idx[j - 1])) {
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = i;
  }
  return idx;
}

/**
 * Every index of `x` in rank order, the same order as `topIndices(x, x.length)`, by
 * insertion sort starting from `hint`, the ranking of a similar vector (a permutation of
 * 0 … n−1). Why: next-token distributions at neighbouring positions of a text rank most
 * tokens alike, so few moves are left (scoreTokens ranks the whole vocabulary per position).
 * `topIndices` ranks it instead when there is no hint, when x has a NaN (no total order
 * then) or when x is longer than insertion sort suits (a poor hint costs up to n²/2 moves).
 */
export function rankFrom(x: ArrayLike<number>, hint?: Int32Array): Int32Array {
  const n = x.length;
  if (!hint || hint.length !== n || n > INSERTION_SORT_MAX) return topIndices(x, n);
  for (let i = 0; i < n; i++) if (Number.isNaN(x[i])) return topIndices(x, n);
  const idx = Int32Array.from(hint);
  for (let i = 1; i < n; i++) {
    const id = idx[i];
    let j = i;
    while (j > 0 && before(x, id, idx[j - 1])) {
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = id;
  }
  return idx;
}

/** The best m indices in one pass: a sorted window, entered only by a value that beats its last. */
function topWindow(x: ArrayLike<number>, m: number): Int32Array {
  const top = new Int32Array(m);
  let size = 0;
  for (let i = 0; i < x.length; i++) {
    if (size === m && !before(x, i, top[m - 1])) continue;
    let at = size === m ? m - 1 : size++;
    while (at > 0 && before(x, i, top[at - 1])) {
      top[at] = top[at - 1];
      at--;
    }
    top[at] = i;
  }
  return top;
}

export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng): number {
  const temperature = opts.temperature ?? 1;
  if (temperature <= 0) return argmax(logits);
  const V = logits.length;
  // 1. tempered probabilities, most likely first
  const scaled = new Float64Array(V);
  for (let i = 0; i < V; i++) scaled[i] = logits[i] / temperature;
  const lp = logSoftmax(scaled);
  let keep = opts.topK && opts.topK > 0 ? Math.min(opts.topK, V) : V;
  const order = topIndices(lp, keep);
  // 2. truncate to top-k (done: `order` holds the k best), then to the nucleus of mass top-p
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
