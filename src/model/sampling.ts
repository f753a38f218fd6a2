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

/**
 * logSoftmax(logits)[id] without the other entries: the same operations in the same
 * order, so the same bits. The decoders record each sampled token's log-prob this way.
 */
export function logProbAt(logits: ArrayLike<number>, id: number): number {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[i] - max);
  return logits[id] - (max + Math.log(sum));
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
 * small against the length, insertion sort on short vectors, a bucket sort otherwise (the
 * comparator sort of every index when x has a NaN, whose order is then the engine's own).
 * NOTE: an audit orders a distribution per generated or scored token; sorting boxed
 * numbers with a closure there was a measurable share of the engine's decode time.
 */
export function topIndices(x: ArrayLike<number>, k: number): Int32Array {
  const n = x.length;
  const m = Math.max(0, Math.min(Math.floor(k), n));
  if (m === 0) return new Int32Array(0);
  if (m * 8 < n) return topWindow(x, m);
  if (n <= INSERTION_SORT_MAX) return insertionOrder(x).subarray(0, m);
  const ranked = orderByBuckets(x);
  if (ranked) return ranked.subarray(0, m);
  // a NaN: no total order, so the comparator sort's own (engine-given) order, as before
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  all.sort((a, b) => (before(x, a, b) ? -1 : 1));
  return all.subarray(0, m);
}

/**
 * Every index in rank order (the order of sorting them by `before`), or null when x has a
 * NaN. Without a NaN, `before` is a strict total order, so any correct sort gives this same
 * order; this one is a bucket sort: n buckets over the finite values' range by a key monotone
 * in the value (a subtraction, a product and a floor, each monotone under rounding), filled in
 * index order, then each bucket sorted by `before` (insertion, or the comparator sort when
 * large); +∞ and −∞ have buckets of their own, already in index order. Linear for spread-out
 * values such as log-probabilities, and no worse than the comparator sort for bunched ones.
 */
function orderByBuckets(x: ArrayLike<number>): Int32Array | null {
  const n = x.length;
  const vals = new Float64Array(n);
  let hi = -Infinity;
  let lo = Infinity;
  for (let i = 0; i < n; i++) {
    const v = (vals[i] = x[i]);
    if (v !== v) return null;
    if (v > hi && v !== Infinity) hi = v;
    if (v < lo && v !== -Infinity) lo = v;
  }
  const range = hi - lo;
  // a zero, overflowing or empty range (no finite value) puts every finite value in one bucket
  const scale = range > 0 && range < Infinity ? n / range : 0;
  const last = n - 1;
  // buckets: 0 = +∞, 1 … n = the finite values (descending), n + 1 = −∞
  const key = (v: number): number => {
    if (v === Infinity) return 0;
    if (v === -Infinity) return n + 1;
    const k = (hi - v) * scale;
    return 1 + (k < last ? k | 0 : last);
  };
  const count = new Int32Array(n + 3);
  for (let i = 0; i < n; i++) count[key(vals[i]) + 1]++;
  for (let b = 1; b <= n + 2; b++) count[b] += count[b - 1]; // count[b]: where bucket b starts
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[count[key(vals[i])]++] = i;
  // count[b] is now where bucket b ends; the finite buckets run from count[0] to count[n]
  let start = count[0];
  for (let b = 1; b <= n; b++) {
    const end = count[b];
    if (end - start > BUCKET_INSERTION_MAX) all.subarray(start, end).sort((p, q) => (before(vals, p, q) ? -1 : 1));
    else {
      for (let i = start + 1; i < end; i++) {
        const id = all[i];
        let j = i;
        while (j > start && before(vals, id, all[j - 1])) {
          all[j] = all[j - 1];
          j--;
        }
        all[j] = id;
      }
    }
    start = end;
  }
  return all;
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

/**
 * Scratch for sampleToken, grown to the largest vocabulary seen (never shrunk): the tempered
 * log-probabilities, their values in rank order, the kept tokens' probabilities in rank
 * order, and the bucket counts of `sortValuesDescending`. sampleToken runs once per generated
 * token; fresh arrays there were a share of decode time.
 */
let lpBuf = new Float64Array(0);
let rankBuf = new Float64Array(0);
let expBuf = new Float64Array(0);
let countBuf = new Int32Array(0);

/**
 * Draws a token: the tempered distribution, cut to the top-k most likely, then to the nucleus
 * of mass top-p, renormalised and sampled with one `rng.next()`; temperature 0 is greedy.
 *
 * Bit for bit the same as ranking every index (topIndices) and summing in rank order (the
 * draw, the token and the rng's state), but cheaper: only the VALUES in rank order decide the
 * sums and the draw (tied tokens have the same probability), so the values are ranked without
 * their indices (a window of the best k, or a bucket sort) and each probability is computed
 * once. The index is found afterwards: the draw landed on the t-th member of a tie group, and
 * ties rank by index, so it is the t-th index holding that value (−0 and +0 tie, as in `before`).
 * Degenerate input (an empty vocabulary, a NaN or +∞ among the tempered logits, all −∞, a
 * fractional top-k) ranks the indices with topIndices, as the sampler always did, so that it
 * too gives what it always gave.
 */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng): number {
  const temperature = opts.temperature ?? 1;
  if (temperature <= 0) return argmax(logits);
  const V = logits.length;
  const keep = opts.topK && opts.topK > 0 ? Math.min(opts.topK, V) : V;
  const topP = opts.topP ?? 1;
  if (lpBuf.length < V) {
    lpBuf = new Float64Array(V);
    rankBuf = new Float64Array(V);
    expBuf = new Float64Array(V);
    countBuf = new Int32Array(V + 2);
  }
  const lp = lpBuf;
  const vals = rankBuf;
  // 1. tempered log-probabilities: exactly logSoftmax(logits / temperature)
  let max = -Infinity;
  for (let i = 0; i < V; i++) {
    const s = logits[i] / temperature;
    lp[i] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(lp[i] - max);
  const logZ = max + Math.log(sum);
  let lo = Infinity; // the least finite log-probability
  for (let i = 0; i < V; i++) {
    const v = lp[i] - logZ;
    lp[i] = v;
    if (v < lo && v !== -Infinity) lo = v;
  }
  if (V === 0 || !Number.isInteger(keep) || !Number.isFinite(logZ)) {
    // no total order of the values (a non-finite logZ makes them NaN), or odd options: the
    // indices ranked by topIndices; a fractional top-k reads one rank past the ranked ones
    // (NaN), as the sampler always did
    const order = topIndices(lp.subarray(0, V), keep);
    for (let r = 0; r < keep; r++) vals[r] = lp[order[r]];
    return order[drawRank(vals, keep, topP, rng, expBuf)];
  }
  // 2. the k best values, in rank order (a window costs up to k per entry, the bucket sort is linear)
  if (keep <= TOP_WINDOW_MAX && keep * 8 < V) topValues(lp, V, keep, vals);
  else sortValuesDescending(lp, V, max - logZ, lo, vals, countBuf);
  const r = drawRank(vals, keep, topP, rng, expBuf);
  // 3. rank r holds value v as the t-th of its tie group, so it is the t-th index (from 0) holding v
  const v = vals[r];
  let t = 0;
  while (t < r && vals[r - t - 1] === v) t++;
  for (let i = 0; i < V; i++) if (lp[i] === v && t-- === 0) return i;
  throw new Error("sampleToken: the drawn value is not in the distribution"); // unreachable
}

/**
 * The rank drawn from the log-probabilities `vals[0 … keep)`, most likely first: cut to the
 * nucleus of mass `topP`, then one `rng.next()` over the kept probabilities. Each probability
 * is computed once (into `ex`), and every sum runs in rank order, so the mass at the cut is
 * the total too. keep − 1 when the draw runs past the end (rounding, or a NaN total).
 */
function drawRank(vals: Float64Array, keep: number, topP: number, rng: Rng, ex: Float64Array): number {
  let kept = keep;
  let total = 0;
  for (let r = 0; r < keep; r++) {
    const e = Math.exp(vals[r]);
    ex[r] = e;
    total += e;
    if (topP < 1 && total >= topP) {
      kept = r + 1;
      break;
    }
  }
  let u = rng.next() * total;
  for (let r = 0; r < kept; r++) {
    u -= ex[r];
    if (u < 0) return r;
  }
  return kept - 1;
}

/** The m largest of x[0 … n−1] into out[0 … m−1], descending (a window entered only by a value above its last). */
function topValues(x: Float64Array, n: number, m: number, out: Float64Array): void {
  let size = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (size === m && !(v > out[m - 1])) continue;
    let at = size === m ? m - 1 : size++;
    while (at > 0 && v > out[at - 1]) {
      out[at] = out[at - 1];
      at--;
    }
    out[at] = v;
  }
}

/** A top-k up to this size (and under an eighth of the vocabulary) is found by a window, a larger one by sorting. */
const TOP_WINDOW_MAX = 128;

/** Buckets larger than this are sorted natively; smaller ones by insertion. */
const BUCKET_INSERTION_MAX = 24;

/**
 * x[0 … n−1] (no NaN, no +∞; the largest `hi`, the least finite `lo`) into out[0 … n−1],
 * descending, by bucket sort: n buckets over [lo, hi], by a key monotone in the value (a
 * subtraction, a product and a floor, each monotone under rounding), so that sorting inside
 * each bucket sorts the whole; −∞ values go last, unsorted (they are all equal). Linear for
 * spread-out values such as log-probabilities; a bucket that gathers many is sorted natively,
 * so bunched values cost no more than one native sort.
 */
function sortValuesDescending(x: Float64Array, n: number, hi: number, lo: number, out: Float64Array, count: Int32Array): void {
  const last = n - 1; // buckets 0 … n−1 hold the finite values; bucket n the −∞ ones
  const range = hi - lo;
  // a zero, overflowing or empty range puts every finite value in bucket 0
  const scale = range > 0 && range < Infinity ? n / range : 0;
  count.fill(0, 0, n + 2);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const k = (hi - v) * scale;
    count[(v === -Infinity ? n : k < last ? k | 0 : last) + 1]++;
  }
  for (let b = 1; b <= n + 1; b++) count[b] += count[b - 1]; // count[b]: where bucket b starts
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const k = (hi - v) * scale;
    out[count[v === -Infinity ? n : k < last ? k | 0 : last]++] = v;
  }
  // count[b] is now where bucket b ends (bucket b starts at count[b − 1], bucket 0 at 0)
  let start = 0;
  for (let b = 0; b < n; b++) {
    const end = count[b];
    const size = end - start;
    if (size > BUCKET_INSERTION_MAX) {
      const part = out.subarray(start, end).sort();
      part.reverse();
    } else if (size > 1) {
      for (let i = start + 1; i < end; i++) {
        const v = out[i];
        let j = i;
        while (j > start && out[j - 1] < v) {
          out[j] = out[j - 1];
          j--;
        }
        out[j] = v;
      }
    }
    start = end;
  }
}
