/**
 * Effect sizes on hand-computed cases: d_z of differences (1, 2, 3) is 2/1; of
 * (2, 4, 4, 4, 5, 5, 7, 9) it is 5/√(32/7); the conditional odds ratio 8/4 = 2 and its
 * Haldane-corrected forms (5.5/0.5, 0.5/3.5, 0.5/0.5).
 */
import { describe, expect, it } from "vitest";
import { cohensDz, pairedOddsRatio } from "../../src/stats/index.js";

describe("cohensDz", () => {
  it("divides the mean difference by its sample sd (n − 1)", () => {
    expect(cohensDz([0, 0, 0], [1, 2, 3])).toEqual({ name: "cohens-dz", value: 2 });
    const d = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(cohensDz(d.map(() => 10), d.map((x) => 10 + x)).value).toBeCloseTo(5 / Math.sqrt(32 / 7), 12);
    expect(cohensDz([3, 2, 1], [2, 0, -2]).value).toBe(-2); // differences −1, −2, −3
    expect(cohensDz([0, 0, 0, 0], [1, -1, 1, -1]).value).toBe(0);
  });

  it("says why when there is no spread or too few items", () => {
    expect(cohensDz([1, 2, 3], [1, 2, 3])).toMatchObject({ value: NaN, note: expect.stringMatching(/every difference is 0/) });
    expect(cohensDz([0.1, 0.2, 0.3], [0.2, 0.3, 0.4]).value).toBe(Infinity); // 0.1 up to rounding
    expect(cohensDz([5, 5], [4, 4])).toMatchObject({ value: -Infinity, note: expect.stringMatching(/same amount/) });
    expect(cohensDz([1], [2])).toMatchObject({ value: NaN, note: expect.stringMatching(/at least 2/) });
  });

  it("refuses unpaired or non-finite input", () => {
    expect(() => cohensDz([1], [1, 2])).toThrow(/equal lengths/);
    expect(() => cohensDz([1, NaN], [1, 2])).toThrow(/item 1/);
  });
});

describe("pairedOddsRatio", () => {
  it("is c / b, above 1 when the tuned model fixes more than it breaks", () => {
    expect(pairedOddsRatio(4, 8)).toEqual({ name: "paired-odds-ratio", value: 2 });
    expect(pairedOddsRatio(8, 4).value).toBe(0.5);
  });

  it("adds 0.5 to both counts when either is 0, and says so", () => {
    expect(pairedOddsRatio(0, 5)).toMatchObject({ value: 11, note: expect.stringMatching(/Haldane/) });
    expect(pairedOddsRatio(3, 0).value).toBeCloseTo(1 / 7, 15);
    expect(pairedOddsRatio(0, 0)).toMatchObject({ value: 1, note: expect.stringMatching(/Haldane/) });
  });

  it("refuses counts that are not whole numbers", () => {
    expect(() => pairedOddsRatio(-1, 2)).toThrow(/b must be/);
    expect(() => pairedOddsRatio(1, 2.5)).toThrow(/c must be/);
  });
});
