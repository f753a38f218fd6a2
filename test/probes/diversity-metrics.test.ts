/**
 * The lexical diversity measures on hand-computed cases: distinct-n counts, compression
 * of repetition, BLEU-4 with clipping, brevity penalty and method-1 smoothing, self-BLEU.
 */
import { describe, expect, it } from "vitest";
import { BLEU_EPSILON, bleu4, compressionRatio, distinctN, selfBleu, shareDistinct, wordTokens } from "../../src/probes/diversity-metrics.js";

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

describe("shareDistinct", () => {
  it("is distinct / all, null for none", () => {
    expect(shareDistinct(["a", "a", "b", "c"])).toBe(3 / 4);
    expect(shareDistinct([])).toBeNull();
  });
});
