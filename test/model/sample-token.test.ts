/**
 * sampleToken, which ranks values without their indices and computes each kept
 * probability once, against verbatim copies of the comparator-ranked original: the same
 * token and the same rng state afterwards, on ordinary, tied, signed-zero, infinite, huge
 * and degenerate logits, under temperature, top-k and top-p.
 */
import { describe, expect, it } from "vitest";
import { logProbAt, logSoftmax, sampleToken, type SamplingOptions } from "../../src/model/index.js";
import { createRng, type Rng } from "../../src/random/index.js";

// ---- the reference: sampleToken and its helpers exactly as they were before the faster sampler ----
function refLogSoftmax(logits: ArrayLike<number>): Float64Array {
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
function refArgmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}
function before(x: ArrayLike<number>, a: number, b: number): boolean {
  return x[a] > x[b] || (x[a] === x[b] && a < b);
}
function refTopIndices(x: ArrayLike<number>, k: number): Int32Array {
  const n = x.length;
  const m = Math.max(0, Math.min(Math.floor(k), n));
  if (m === 0) return new Int32Array(0);
  if (m * 8 < n) return refTopWindow(x, m);
  if (n <= 256) return refInsertionOrder(x).subarray(0, m);
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  all.sort((a, b) => (before(x, a, b) ? -1 : 1));
  return all.subarray(0, m);
}
function refInsertionOrder(x: ArrayLike<number>): Int32Array {
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
function refTopWindow(x: ArrayLike<number>, m: number): Int32Array {
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
function refSampleToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: Rng): number {
  const temperature = opts.temperature ?? 1;
  if (temperature <= 0) return refArgmax(logits);
  const V = logits.length;
  const scaled = new Float64Array(V);
  for (let i = 0; i < V; i++) scaled[i] = logits[i] / temperature;
  const lp = refLogSoftmax(scaled);
  let keep = opts.topK && opts.topK > 0 ? Math.min(opts.topK, V) : V;
  const order = refTopIndices(lp, keep);
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
  let total = 0;
  for (let r = 0; r < keep; r++) total += Math.exp(lp[order[r]]);
  let u = rng.next() * total;
  for (let r = 0; r < keep; r++) {
    u -= Math.exp(lp[order[r]]);
    if (u < 0) return order[r];
  }
  return order[keep - 1];
}
// ---- end of the reference ----

/** Logits of one kind: plain, heavy ties, ±0, −∞ holes, huge magnitudes, ulp-close, degenerate. */
function makeLogits(kind: number, V: number, g: Rng): ArrayLike<number> {
  const f32 = (f: (i: number) => number) => Float32Array.from({ length: V }, (_, i) => f(i));
  const f64 = (f: (i: number) => number) => Float64Array.from({ length: V }, (_, i) => f(i));
  switch (kind) {
    case 0: return f32(() => g.normal() * 3); // as the engine gives them
    case 1: return f32(() => Math.round(g.normal() * 2) / 2); // many exact ties
    case 2: return f32(() => [0, -0, 1, -1][g.int(4)]); // ±0 ties
    case 3: return f32(() => (g.next() < 0.4 ? -Infinity : g.normal() * 4)); // masked tokens
    case 4: return f64(() => g.normal() * 1e300); // huge magnitudes
    case 5: return f64(() => (g.next() < 0.5 ? 1e308 : -1e308) * g.next()); // overflow to ±∞ when tempered
    case 6: return f64(() => 1e6 + g.int(50) * 1e-10); // values that collapse to ties in float64 after −logZ
    case 7: return Array.from({ length: V }, (_, i) => (i === g.int(V) ? -0 : g.next() < 0.5 ? -Infinity : -800)); // lp with −0
    case 8: return f32((i) => (i % 7 === 3 ? NaN : g.normal())); // NaN: the comparator-ranked path
    case 9: return f32(() => (g.next() < 0.05 ? Infinity : g.normal())); // +∞
    case 10: return f32(() => -Infinity); // nothing possible
    default: return f32(() => g.int(3) - 1); // three values
  }
}
const KINDS = 12;

function check(logits: ArrayLike<number>, opts: SamplingOptions, seed: number): void {
  const a = createRng(seed);
  const b = createRng(seed);
  const want = refSampleToken(logits, opts, a);
  const got = sampleToken(logits, opts, b);
  expect(got, `V=${logits.length} ${JSON.stringify(opts)} seed=${seed}`).toBe(want);
  for (let j = 0; j < 3; j++) expect(b.next()).toBe(a.next()); // the rng advanced alike
}

describe("sampleToken (the faster sampler) against the original, bit for bit", () => {
  for (const V of [1, 2, 105, 1000, 50000]) {
    it(`V=${V}: same token and rng state on random, tied, ±0, −∞, huge and degenerate logits`, () => {
      const g = createRng(1000 + V);
      const rows = V >= 50000 ? 1 : V >= 1000 ? 4 : 12;
      let seed = V * 7919;
      for (let row = 0; row < rows; row++) {
        for (let kind = 0; kind < KINDS; kind++) {
          const logits = makeLogits(kind, V, g);
          for (const temperature of [0.7, 1, 1.3]) {
            for (const topK of [undefined, 1, 5, 300, V, V + 3, 2.5]) {
              for (const topP of [1, 0.9, 0.5]) {
                if (V >= 50000 && (topK === 5 || topK === 1 || topK === 300) && topP !== 0.9) continue; // keep the slow reference's time down
                check(logits, { temperature, topK, topP }, seed++);
              }
            }
          }
        }
      }
    }, 120_000);
  }

  it("many draws on one distribution land on every kept token alike (ties included)", () => {
    const g = createRng(5);
    for (const V of [105, 1000]) {
      const logits = Float32Array.from({ length: V }, () => Math.round(g.normal() * 4) / 4);
      for (let seed = 0; seed < 600; seed++) check(logits, { temperature: 1.3, topK: seed % 3 === 0 ? 40 : 0, topP: seed % 2 ? 1 : 0.95 }, seed);
    }
  });

  it("edge options: greedy, empty vocabulary, NaN and odd top-k / top-p", () => {
    const g = createRng(9);
    const logits = Float32Array.from({ length: 105 }, () => g.normal());
    const optsList: SamplingOptions[] = [
      {}, { temperature: 0 }, { temperature: -1 }, { temperature: NaN }, { temperature: Infinity }, { temperature: 1e-300 },
      { topK: -3 }, { topK: NaN }, { topK: Infinity }, { topK: 0.5 }, { topK: 104.5 }, { topP: 0 }, { topP: -1 }, { topP: NaN }, { topP: 1e-20 },
    ];
    for (const opts of optsList) for (let seed = 0; seed < 20; seed++) check(logits, opts, seed);
    for (let seed = 0; seed < 5; seed++) check(new Float32Array(0), { temperature: 1 }, seed);
    check([5], { temperature: 1, topP: 0.1 }, 1);
  });

  it("keeps its scratch apart across vocabulary sizes (large, then small, then large again)", () => {
    const g = createRng(13);
    for (const V of [3000, 7, 3000, 105, 20]) {
      const logits = Float32Array.from({ length: V }, () => g.normal() * 2);
      for (let seed = 0; seed < 20; seed++) check(logits, { temperature: 1, topP: seed % 2 ? 0.9 : 1 }, seed);
    }
  });
});

describe("logProbAt", () => {
  it("is logSoftmax(x)[id] bit for bit (ties, −∞, huge values, NaN)", () => {
    const g = createRng(21);
    const rows = [
      Float32Array.from({ length: 105 }, () => g.normal() * 3),
      Float32Array.from({ length: 105 }, () => Math.round(g.normal())),
      Float32Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? -Infinity : g.normal())),
      [1e30, -1e30, 0, -0],
      [NaN, 1, 2],
      [-Infinity, -Infinity],
    ];
    for (const x of rows) {
      const full = logSoftmax(x);
      for (let id = 0; id < x.length; id++) expect(Object.is(logProbAt(x, id), full[id]), `id ${id} of ${x.length}`).toBe(true);
    }
  });
});
