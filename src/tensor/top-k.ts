/**
 * "The top fraction of |x|" as a 0/1 mask, in expected O(n): the trimming step of TIES-Merging
 * (Yadav et al. 2023, arXiv 2306.01708, §3 "Trim") and the core regions of CPI-FT (Wang, Liang,
 * Peng 2025, arXiv 2508.21741: the top-p% of |θ_task − θ_base|). Pure array math, here so that both
 * src/weights (the merges, `ftledger diff`'s core regions) and src/train (the cpi-ft recipe's frozen
 * mask) use the one definition of "core region" (docs/ARCHITECTURE.md: neither may import the other).
 *
 * Deterministic: exactly k entries are kept; among equal magnitudes the lower index wins.
 * NOTE: a NaN ranks above every number (as torch's descending sort puts it first), so a NaN
 * entry is always kept and reaches the output instead of being trimmed away silently.
 */

/** |x|; NaN maps to +Infinity, so it ranks with the largest magnitudes. */
function magnitudeKey(x: number): number {
  return Number.isNaN(x) ? Infinity : Math.abs(x);
}

/**
 * How many of n entries a fraction keeps. A product that lands within 1e-9 of an integer is that
 * integer (0.07 · 100 is 7.000000000000001 in binary floating point, and must keep 7, not 8).
 * "ceil" (at least the fraction: a 1% core of 17 values is 1 value) or "floor" (mergekit's
 * `int(density * numel)` for TIES, so the same inputs keep the same entries).
 */
export function countForFraction(fraction: number, n: number, round: "ceil" | "floor"): number {
  const x = fraction * n;
  const r = Math.round(x);
  const k = Math.abs(x - r) <= 1e-9 * Math.max(1, Math.abs(x)) ? r : round === "ceil" ? Math.ceil(x) : Math.floor(x);
  return Math.min(n, Math.max(0, k));
}

/**
 * The value at ascending position `target` of `a` (which is reordered): quickselect with
 * three-way partitioning, so long runs of equal values (the exact zeros of a sparse task
 * vector) cost one pass instead of a quadratic crawl. Pivots are drawn by a fixed-seed
 * generator: the answer does not depend on the pivots, only the time does, and a positional
 * rule (middle, median of three) degrades on ordered inputs. After a generous number of rounds
 * it sorts what is left, which bounds the worst case at O(n log n).
 */
function selectAscending(a: Float32Array | Float64Array, target: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let budget = 16 + 4 * Math.ceil(Math.log2(a.length + 1));
  let state = 0x9e3779b9; // xorshift32, fixed seed: same inputs, same work
  while (lo < hi) {
    if (--budget < 0) {
      a.subarray(lo, hi + 1).sort();
      break;
    }
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const pivot = a[lo + ((state >>> 0) % (hi - lo + 1))];
    let lt = lo, i = lo, gt = hi;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) { a[i] = a[lt]; a[lt] = v; lt++; i++; }
      else if (v > pivot) { a[i] = a[gt]; a[gt] = v; gt--; }
      else i++;
    }
    if (target < lt) hi = lt - 1;
    else if (target > gt) lo = gt + 1;
    else return pivot;
  }
  return a[target];
}

/**
 * Magnitude keys of float32 values as integers that sort like the magnitudes: the IEEE 754 bit
 * pattern of |x| (sign bit cleared) is monotonic in |x| for non-negative floats, and NaN
 * (patterns above +Infinity's 0x7f800000) is clamped to +Infinity's, as `magnitudeKey` does.
 */
const INF_BITS = 0x7f800000;

/**
 * The (target+1)-th smallest key of a float32 array's magnitudes, by a two-pass radix select
 * on the bit patterns (a histogram of the high 16 bits, then of the low 16 bits within the
 * bucket that holds the target): two branch-light passes, no copy of the input, and the same
 * threshold quickselect finds. Used for Float32Array inputs; ~20× faster on 16M values.
 */
function radixSelectBits(bits: Uint32Array, target: number): number {
  const hi = new Uint32Array(65536);
  for (let i = 0; i < bits.length; i++) hi[Math.min(bits[i] & 0x7fffffff, INF_BITS) >>> 16]++;
  let bucket = 0;
  let below = 0;
  while (below + hi[bucket] <= target) below += hi[bucket++];
  const lo = new Uint32Array(65536);
  for (let i = 0; i < bits.length; i++) {
    const key = Math.min(bits[i] & 0x7fffffff, INF_BITS);
    if (key >>> 16 === bucket) lo[key & 0xffff]++;
  }
  let low = 0;
  while (below + lo[low] <= target) below += lo[low++];
  return (bucket << 16) | low;
}

/** topKMask for float32 input, on bit patterns (see radixSelectBits). */
function topKMaskF32(values: Float32Array, k: number, mask: Uint8Array): Uint8Array {
  const n = values.length;
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  const threshold = radixSelectBits(bits, n - k);
  let above = 0;
  let equal = 0;
  for (let i = 0; i < n; i++) {
    const key = Math.min(bits[i] & 0x7fffffff, INF_BITS);
    above += +(key > threshold);
    equal += +(key === threshold);
  }
  let equalsLeft = k - above;
  if (equalsLeft === equal) {
    // every entry at the threshold is kept: one branch-free pass
    for (let i = 0; i < n; i++) mask[i] = +(Math.min(bits[i] & 0x7fffffff, INF_BITS) >= threshold);
    return mask;
  }
  for (let i = 0; i < n; i++) {
    const key = Math.min(bits[i] & 0x7fffffff, INF_BITS);
    if (key > threshold) mask[i] = 1;
    else if (key === threshold && equalsLeft > 0) {
      mask[i] = 1;
      equalsLeft--;
    }
  }
  return mask;
}

/** 1 for the k entries of largest |value| (ties: lower index first), 0 elsewhere. Inputs are not modified. */
export function topKMask(values: Float32Array | Float64Array, k: number): Uint8Array {
  const n = values.length;
  const mask = new Uint8Array(n);
  if (!Number.isInteger(k)) throw new Error(`topKMask: k must be an integer, got ${k}`);
  if (k <= 0) return mask;
  if (k >= n) return mask.fill(1);
  if (values instanceof Float32Array && values.byteOffset % 4 === 0) return topKMaskF32(values, k, mask);
  // 1. the k-th largest magnitude, from a scratch copy (same precision as the input, so no ties are invented)
  const keys = values instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) keys[i] = magnitudeKey(values[i]);
  const threshold = selectAscending(keys, n - k);
  // 2. everything above it, then as many entries equal to it as are still needed, lowest index first
  let above = 0;
  for (let i = 0; i < n; i++) if (magnitudeKey(values[i]) > threshold) above++;
  let equalsLeft = k - above;
  for (let i = 0; i < n; i++) {
    const m = magnitudeKey(values[i]);
    if (m > threshold) mask[i] = 1;
    else if (m === threshold && equalsLeft > 0) { mask[i] = 1; equalsLeft--; }
  }
  return mask;
}

/**
 * 1 for the top `fraction` of entries by |value|: exactly ceil(fraction · n) of them (see
 * countForFraction), ties broken by lower index. fraction must lie in [0, 1].
 */
export function topFractionMask(values: Float32Array | Float64Array, fraction: number): Uint8Array {
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`topFractionMask: fraction must be in [0, 1], got ${fraction}`);
  return topKMask(values, countForFraction(fraction, values.length, "ceil"));
}
