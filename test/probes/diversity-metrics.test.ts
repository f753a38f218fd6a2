/**
 * The lexical diversity measures on hand-computed cases: distinct-n counts, compression
 * of repetition, BLEU-4 with clipping, brevity penalty and method-1 smoothing, self-BLEU.
 * And the two estimators that must not depend on how much a model writes: the
 * Gini–Simpson index (its mean is the same at m = 2, 4, 8 samples, where distinct / m
 * falls) and distinct-n at a fixed budget of n-grams (the same for short and long texts
 * from one distribution, where raw distinct-n falls), both by seeded simulation.
 */
import { describe, expect, it } from "vitest";
import { BLEU_EPSILON, bleu4, compressionRatio, distinctN, distinctNAt, giniSimpson, selfBleu, wordTokens } from "../../src/probes/diversity-metrics.js";
import { createRng, type Rng } from "../../src/random/index.js";

const w = (s: string) => s.split(" ");

describe("wordTokens", () => {
  it("splits words, and every other non-space character on its own", () => {
    expect(wordTokens("3+4=7 is  x1.\nÉté")).toEqual(["3", "+", "4", "=", "7", "is", "x1", ".", "Été"]);
    expect(wordTokens("   ")).toEqual([]);
  });
});

describe("distinctN", () => {
  it("counts distinct over total n-grams, never across samples", () => {
    expect(distinctN(["a a", "a b"], 1)).toBe(2 / 4);
    expect(distinctN(["a a", "a b"], 2)).toBe(1);
    expect(distinctN(["a b c", "a b d"], 2)).toBe(3 / 4);
    // "b c" would be a bigram only across the boundary of "a b" and "c d"
    expect(distinctN(["a b", "c d"], 2)).toBe(1);
    expect(distinctN(["a b", "a b", "a b"], 2)).toBe(1 / 3);
  });

  it("is null when there is no n-gram, and rejects a bad n", () => {
    expect(distinctN(["a a", "a b"], 3)).toBeNull();
    expect(distinctN([], 1)).toBeNull();
    expect(() => distinctN(["a"], 0)).toThrow(RangeError);
  });
});

describe("compressionRatio", () => {
  it("is lower for repeated samples than for distinct ones", () => {
    const same = Array.from({ length: 8 }, () => "Mara has 3 shells and finds 4 more on the beach.");
    const different = [
      "Mara has 3 shells and finds 4 more on the beach.", "Leo the lamb could not find his blue kite.",
      "x1 = 8 + 14 # 22", "Ada the pig lost her black book at the mill.", "y+(x+x)", "The river was cold that morning.",
      "Nadia drops four acorns by the old oak tree.", "Then, 22 times 2 is 44.",
    ];
    const r1 = compressionRatio(same)!;
    const r2 = compressionRatio(different)!;
    expect(r1).toBeLessThan(r2);
    expect(r1).toBeGreaterThan(0);
  });

  it("is null for no text", () => {
    expect(compressionRatio([])).toBeNull();
    expect(compressionRatio([""])).toBeNull();
  });
});

describe("bleu4", () => {
  it("is 1 for a hypothesis equal to a reference of at least 4 words", () => {
    expect(bleu4(w("a b c d e"), [w("a b c d e")])).toBeCloseTo(1, 12);
  });

  it("clips counts and takes the geometric mean of the four precisions", () => {
    // p1 = 5/6 (one "the" clipped), p2 = 3/5, p3 = 2/4, p4 = 1/3, equal lengths
    expect(bleu4(w("the cat sat on the mat"), [w("the cat sat on a mat")])).toBeCloseTo((1 / 12) ** 0.25, 12);
  });

  it("smooths a precision with no match to ε / its n-gram count (method 1)", () => {
    // p1 = 3/4, p2 = 1/3, p3 = 0 → ε/2, p4 = 0 → ε/1
    expect(bleu4(w("a b c d"), [w("a b x d")])).toBeCloseTo((0.75 * (1 / 3) * (BLEU_EPSILON / 2) * BLEU_EPSILON) ** 0.25, 12);
  });

  it("applies the brevity penalty against the closest reference length, ties to the shorter", () => {
    expect(bleu4(w("a b c d"), [w("a b c d e f")])).toBeCloseTo(Math.exp(1 - 6 / 4), 12);
    // lengths 6 and 2 are both 2 away from 4: the shorter (2) is the one, so no penalty
    expect(bleu4(w("a b c d"), [w("a b c d e f"), w("a b")])).toBeCloseTo(1, 12);
  });

  it("is 0 with no matching word, null for an empty hypothesis or no references", () => {
    expect(bleu4(w("p q r s"), [w("a b c d")])).toBe(0);
    expect(bleu4([], [w("a")])).toBeNull();
    expect(bleu4(w("a"), [])).toBeNull();
  });
});

describe("selfBleu", () => {
  it("is 1 for identical samples", () => {
    expect(selfBleu(["the cat sat on the mat", "the cat sat on the mat", "the cat sat on the mat"])).toBeCloseTo(1, 12);
  });

  it("averages each sample's BLEU against the others", () => {
    const pair = (0.75 * (1 / 3) * (BLEU_EPSILON / 2) * BLEU_EPSILON) ** 0.25;
    expect(selfBleu(["a b c d", "a b x d"])).toBeCloseTo(pair, 12);
    // an empty sample is a reference only: "a b c d" against {"", "a b c d"} scores 1, twice
    expect(selfBleu(["a b c d", "", "a b c d"])).toBeCloseTo(1, 12);
    expect(selfBleu(["a b c d", "p q r s"])).toBe(0);
  });

  it("is null with fewer than 2 samples or no words", () => {
    expect(selfBleu(["a b c d"])).toBeNull();
    expect(selfBleu(["", " "])).toBeNull();
  });
});

/** A label drawn from the distribution `p` (labels "0", "1", …). */
function draw(rng: Rng, p: readonly number[]): string {
  let u = rng.next();
  for (let i = 0; i < p.length - 1; i++) {
    if (u < p[i]) return String(i);
    u -= p[i];
  }
  return String(p.length - 1);
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("giniSimpson", () => {
  it("is 1 − Σ c(c − 1) / (m(m − 1)): the chance two distinct samples differ", () => {
    expect(giniSimpson(["a", "a", "b", "c"])).toBeCloseTo(1 - 2 / 12, 12);
    expect(giniSimpson(["a", "b"])).toBe(1);
    expect(giniSimpson(["a", "a", "a"])).toBe(0);
  });

  it("is null below 2 labels (no pair to compare), never 0", () => {
    expect(giniSimpson([])).toBeNull();
    expect(giniSimpson(["a"])).toBeNull();
  });

  // 20,000 draws per m: the estimator's sd is at most 0.5, so its mean's standard error is ≤ 0.0036; 0.015 is > 4 of them
  const REPS = 20_000;
  const P = [0.4, 0.3, 0.2, 0.1];
  const simulate = (m: number, estimator: (labels: string[]) => number, seed: number) => {
    const rng = createRng(seed);
    return mean(Array.from({ length: REPS }, () => estimator(Array.from({ length: m }, () => draw(rng, P)))));
  };

  it("has the same mean, 1 − Σ p², at m = 2, 4 and 8 samples from one distribution", () => {
    const target = 1 - P.reduce((s, p) => s + p * p, 0); // 0.70
    for (const [m, seed] of [[2, 11], [4, 12], [8, 13]]) {
      expect(Math.abs(simulate(m, (l) => giniSimpson(l)!, seed) - target), `m = ${m}`).toBeLessThan(0.015);
    }
  });

  it("unlike the share of distinct labels (the old estimator), whose mean falls as m grows", () => {
    // distinct / m, the measure semantic and syntactic diversity used before: with 4 equally
    // likely labels E = 4(1 − (3/4)^m)/m — 0.875 at m = 2, 0.684 at m = 4, 0.450 at m = 8
    const shareDistinct = (labels: string[]) => new Set(labels).size / labels.length;
    const uniform = (m: number, estimator: (labels: string[]) => number, seed: number) => {
      const rng = createRng(seed);
      return mean(Array.from({ length: REPS }, () => estimator(Array.from({ length: m }, () => draw(rng, [0.25, 0.25, 0.25, 0.25])))));
    };
    const old = [2, 4, 8].map((m) => uniform(m, shareDistinct, 20 + m));
    [2, 4, 8].forEach((m, i) => expect(old[i]).toBeCloseTo((4 * (1 - 0.75 ** m)) / m, 2));
    expect(old[0] - old[2]).toBeGreaterThan(0.4);
    const unbiased = [2, 4, 8].map((m) => uniform(m, (l) => giniSimpson(l)!, 20 + m));
    for (const g of unbiased) expect(Math.abs(g - 0.75)).toBeLessThan(0.015);
  });
});

describe("distinctNAt (distinct-n at a fixed n-gram budget)", () => {
  it("is the expected distinct share among W n-grams drawn without replacement", () => {
    // unigrams a b a b, W = 2: of the 6 pairs 2 are alike, so E[distinct] = (2·1 + 4·2)/6 = 5/3
    expect(distinctNAt(["a b a b"], 1, 2)).toBeCloseTo(5 / 6, 12);
    // at W = N it is raw distinct-n
    expect(distinctNAt(["a b c", "a b d"], 2, 4)).toBeCloseTo(distinctN(["a b c", "a b d"], 2)!, 12);
    // W = 1: one n-gram is always distinct
    expect(distinctNAt(["a a a"], 2, 1)).toBe(1);
  });

  it("is null with fewer than W n-grams, and rejects a bad W", () => {
    expect(distinctNAt(["a b c"], 2, 3)).toBeNull();
    expect(distinctNAt([], 2, 1)).toBeNull();
    expect(() => distinctNAt(["a b"], 2, 0)).toThrow(RangeError);
  });

  it("does not fall with length for texts from one bigram distribution, where raw distinct-2 does", () => {
    // words uniform over 8, so bigrams uniform over 64 types; 200 texts of 40 words and 200 of 400
    const words = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"];
    const text = (rng: Rng, n: number) => Array.from({ length: n }, () => words[rng.int(words.length)]).join(" ");
    const rng = createRng(5);
    const short = Array.from({ length: 200 }, () => text(rng, 40));
    const long = Array.from({ length: 200 }, () => text(rng, 400));
    const raw = (ts: string[]) => mean(ts.map((t) => distinctN([t], 2)!));
    const at32 = (ts: string[]) => mean(ts.map((t) => distinctNAt([t], 2, 32)!));
    expect(raw(short) - raw(long)).toBeGreaterThan(0.5); // ≈ 0.80 against ≈ 0.16
    expect(Math.abs(at32(short) - at32(long))).toBeLessThan(0.01);
    // both near the iid value 64(1 − (63/64)^32)/32 ≈ 0.79
    expect(Math.abs(at32(long) - (64 * (1 - (63 / 64) ** 32)) / 32)).toBeLessThan(0.02);
  });
});
