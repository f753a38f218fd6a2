/**
 * Request keys carry the version of the rule that made a response where it is above 1: a
 * score cached under the old per-backend boundary rules is never served under the one rule,
 * while generate keys (rule 1) are exactly what they were.
 */
import { describe, expect, it } from "vitest";
import { canonicalJson, requestKey } from "../../../src/backends/cache/index.js";
import { sha256Text } from "../../../src/random/index.js";

describe("requestKey and rule versions", () => {
  it("score keys include the boundary rule's version; generate keys are unchanged", () => {
    const score = { prompt: "x =", continuation: " 12" };
    const gen = { prompt: "x =", maxTokens: 4, temperature: 0 };
    expect(requestKey("m", "score", score)).not.toBe(sha256Text(canonicalJson({ modelId: "m", kind: "score", request: score })));
    expect(requestKey("m", "score", score)).toBe(sha256Text(canonicalJson({ modelId: "m", kind: "score", request: score, rule: 2 })));
    expect(requestKey("m", "generate", gen)).toBe(sha256Text(canonicalJson({ modelId: "m", kind: "generate", request: gen })));
  });
});
