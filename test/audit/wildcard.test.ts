/** wildcardMatch: `*` matches any text (empty included); everything else matches itself. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { wildcardMatch } from "../../src/audit/wildcard.js";

/** The reference: the same pattern as an anchored RegExp (fine on the short strings below). */
const viaRegExp = (pattern: string, key: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*+/g, ".*")}$`, "s").test(key);

describe("wildcardMatch", () => {
  it("examples", () => {
    expect(wildcardMatch("capability.*", "capability.task.accuracy")).toBe(true);
    expect(wildcardMatch("capability.*", "proxy.task.accuracy")).toBe(false);
    expect(wildcardMatch("*.accuracy", "proxy.task.accuracy")).toBe(true);
    expect(wildcardMatch("*", "")).toBe(true);
    expect(wildcardMatch("a*b*c", "abc")).toBe(true);
    expect(wildcardMatch("a*b*c", "acb")).toBe(false);
    expect(wildcardMatch("", "")).toBe(true);
    expect(wildcardMatch("", "x")).toBe(false);
  });

  it("agrees with an anchored RegExp on any short pattern and key", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", ".", "*"), maxLength: 8 });
    fc.assert(fc.property(text, fc.string({ unit: fc.constantFrom("a", "b", "."), maxLength: 10 }), (p, k) => wildcardMatch(p, k) === viaRegExp(p, k)), { seed: 11, numRuns: 3000 });
  });
});
