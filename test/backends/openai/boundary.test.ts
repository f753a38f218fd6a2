/**
 * The openai backend's two ways to place the boundary (src/backends/openai/score.ts): by
 * the server's /tokenize ids (the rule of src/backends/boundary.ts) and, for a server
 * without /tokenize, by the echoed tokens' text offsets — and the one case where they
 * differ: the whole's tokens break at the prompt's end but segment the prompt otherwise.
 */
import { describe, expect, it } from "vitest";
import { idBoundaryError, splitByIds, splitByOffsets, type PromptToken, type Read, type ScoreInput } from "../../../src/backends/openai/score.js";
import { formatOpenAIError } from "../../../src/backends/openai/errors.js";

const t = (token: string, logprob: number | null, id?: number): PromptToken => ({ token, logprob, isGreedy: false, ...(id !== undefined ? { id } : {}) });
const input = (prompt: string, continuation: string): ScoreInput => ({ endpoint: "http://h/v1", model: "m", prompt, continuation });
type OkRead = Extract<Read, { ok: true }>;

describe("openai boundary: ids and text offsets", () => {
  it("where the ids rule accepts, both give the same continuation; ids are attached", () => {
    const read: OkRead = { ok: true, lead: 1, tokens: [t("ab", null), t(" 12", -0.5)] }; // position 0: a BOS
    const ids = splitByIds(read, [1, 7], [1, 7, 9], input("ab", " 12"));
    expect(ids).toEqual({ ok: true, value: { logprob: -0.5, isGreedy: false, tokens: [{ token: " 12", id: 9, logprob: -0.5, isGreedy: false }] } });
    const offsets = splitByOffsets(read, input("ab", " 12"));
    expect(offsets.ok && offsets.value.tokens.map((x) => x.token)).toEqual([" 12"]);
  });

  it("the one difference: the whole breaks at the prompt's end but segments the prompt otherwise", () => {
    // "abc" alone is "ab" "c" (ids 1 2); inside "abcd" it is "a" "bc" "d" (ids 3 4 5)
    const read: OkRead = { ok: true, lead: 0, tokens: [t("a", null), t("bc", -1), t("d", -2)] };
    const offsets = splitByOffsets(read, input("abc", "d"));
    expect(offsets.ok && offsets.value.tokens.map((x) => [x.token, x.logprob])).toEqual([["d", -2]]);
    const ids = splitByIds(read, [1, 2], [3, 4, 5], input("abc", "d"));
    expect(ids).toEqual({ ok: false, at: 0 });
    const e = idBoundaryError(read, 0, ["ab", "c"], input("abc", "d"));
    expect(e).toMatchObject({ code: "token_boundary", boundary: { promptTokens: ["ab", "c"], wholeTokens: ["a", "bc", "d"], spanning: null } });
    expect(formatOpenAIError(e)).toMatch(/^openai:http:\/\/h\/v1#m: score: cannot score .*the prompt's own tokens end \["ab", "c"\] while prompt \+ continuation has \["a", "bc", "d"\]/);
  });

  it("a token straddling the boundary is token_boundary both ways", () => {
    const read: OkRead = { ok: true, lead: 0, tokens: [t("x", null), t(" 12", -1)] };
    const offsets = splitByOffsets(read, input("x 1", "2"));
    expect(!offsets.ok && "error" in offsets && offsets.error).toMatchObject({ code: "token_boundary", boundary: { spanning: " 12", promptTokens: null } });
    const ids = splitByIds(read, [5, 6], [5, 8], input("x 1", "2"));
    expect(ids).toEqual({ ok: false, at: 1 });
    expect(idBoundaryError(read, 1, [" 1"], input("x 1", "2"))).toMatchObject({ boundary: { spanning: " 12", promptTokens: [" 1"], wholeTokens: [" 12"] } });
  });

  it("a /tokenize that disagrees with the completion's tokens is tokenize_mismatch, never a guess", () => {
    const read: OkRead = { ok: true, lead: 0, tokens: [t("ab", null, 7), t(" 12", -1, 9)] };
    const count = splitByIds(read, [7], [7, 9, 9], input("ab", " 12"));
    expect(!count.ok && "error" in count && count.error.code).toBe("tokenize_mismatch");
    const id = splitByIds(read, [7], [7, 8], input("ab", " 12"));
    expect(!id.ok && "error" in id && formatOpenAIError(id.error)).toMatch(/position 1 its \/tokenize gives token id 8, its completion 9.*Check that \/tokenize/);
  });

  it("an empty prompt: scored after a BOS the server adds, refused without one", () => {
    const withBos: OkRead = { ok: true, lead: 1, tokens: [t("ab", -1, 7)] };
    expect(splitByIds(withBos, [1], [1, 7], input("", "ab"))).toMatchObject({ ok: true, value: { logprob: -1 } });
    const without: OkRead = { ok: true, lead: 0, tokens: [t("ab", null, 7)] };
    const r = splitByIds(without, [], [7], input("", "ab"));
    expect(!r.ok && "error" in r && r.error.code).toBe("empty_prompt");
  });
});
