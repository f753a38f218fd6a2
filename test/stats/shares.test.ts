/** Category shares: counts each category, sums to 1, refuses an unknown category. */
import { describe, expect, it } from "vitest";
import { categoryShares } from "../../src/stats/index.js";

describe("categoryShares", () => {
  it("gives each category its count with a Wilson interval; the shares sum to 1", () => {
    const s = categoryShares(["a", "b", "a", "a"], ["a", "b", "c"] as const);
    expect(s.a).toMatchObject({ k: 3, n: 4, p: 0.75 });
    expect(s.b).toMatchObject({ k: 1, n: 4 });
    expect(s.c).toMatchObject({ k: 0, n: 4, lo: 0 });
    expect(s.a.p + s.b.p + s.c.p).toBe(1);
  });

  it("says nothing without observations and refuses an unknown category", () => {
    expect(categoryShares([], ["a"]).a.p).toBeNaN();
    expect(() => categoryShares(["z"], ["a", "b"])).toThrow(/"z" is not one of the categories a, b/);
  });
});
