/**
 * The scoring boundary rule (src/backends/boundary.ts): continuation tokens are
 * tokens(prompt + continuation) minus the prompt's own tokens, after the whitespace
 * convention; a prompt whose tokens are not a prefix of the whole's is a clear
 * `token_boundary` error; an empty prompt conditions on BOS.
 */
import { describe, expect, it } from "vitest";
import {
  BoundaryError, formatBoundaryProblem, moveTrailingWhitespace, splitForScore, splitIds, type BoundaryTokenizer,
} from "../../src/backends/boundary.js";
import { splitForScoring } from "../../src/backends/index.js";

/**
 * A toy tokenizer with one merge that can cross a boundary: " 12" is one token, else one
 * token per character (ids: char codes; " 12" = 1000). BOS = 1 when `bos`.
 */
function toy(bos?: number): BoundaryTokenizer {
  return {
    encode(text) {
      const ids: number[] = [];
      for (let i = 0; i < text.length; i++) {
        if (text.startsWith(" 12", i)) {
          ids.push(1000);
          i += 2;
        } else ids.push(text.charCodeAt(i));
      }
      return ids;
    },
    bos,
    pieceText: (id) => (id === 1000 ? " 12" : id === 1 ? "<bos>" : String.fromCharCode(id)),
  };
}

describe("splitIds: the rule on ids", () => {
  it("prefix holds: the continuation is the whole's tokens after the prompt's", () => {
    expect(splitIds([5, 6], [5, 6, 7, 8], undefined)).toEqual({ ok: true, ids: [5, 6, 7, 8], start: 2 });
  });
  it("the prompt's tokens not a prefix of the whole's: token_boundary at the first that differs", () => {
    expect(splitIds([5, 6, 7], [5, 9, 8], undefined)).toEqual({ ok: false, code: "token_boundary", at: 1 });
    // a prompt longer in tokens than the whole
    expect(splitIds([5, 6, 7], [5, 6], undefined)).toEqual({ ok: false, code: "token_boundary", at: 2 });
  });
  it("an empty prompt conditions on BOS, and is refused without one", () => {
    expect(splitIds([], [7, 8], 1)).toEqual({ ok: true, ids: [1, 7, 8], start: 1 });
    expect(splitIds([], [7, 8], undefined)).toEqual({ ok: false, code: "no_bos" });
  });
  it("a continuation that adds no token is refused", () => {
    expect(splitIds([5, 6], [5, 6], undefined)).toEqual({ ok: false, code: "no_continuation_tokens" });
  });
});

describe("splitForScore: the whole rule", () => {
  it("moves the prompt's trailing whitespace onto the continuation (and keeps the request's other fields)", () => {
    const signal = new AbortController().signal;
    expect(moveTrailingWhitespace({ prompt: "x = ", continuation: "12", signal })).toEqual({ prompt: "x =", continuation: " 12", signal });
    const s = splitForScore("m", toy(), { prompt: "x = ", continuation: "12" });
    expect(s).toMatchObject({ ok: true, start: 3, prompt: "x =", continuation: " 12" });
    if (s.ok) expect(s.ids.slice(s.start)).toEqual([1000]);
  });

  it("a merge crossing the boundary is a clear error naming the model, both sides, the tokens and what to do", () => {
    const s = splitForScore("gguf:/m.gguf", toy(), { prompt: "x = 1", continuation: "2" });
    expect(s.ok).toBe(false);
    if (s.ok) return;
    expect(s.problem).toEqual({
      code: "token_boundary", model: "gguf:/m.gguf", promptEnd: "x = 1", continuationStart: "2",
      promptTokens: [" ", "1"], wholeTokens: [" 12"], spanning: " 12",
    });
    const msg = formatBoundaryProblem(s.problem);
    expect(msg).toMatch(/^gguf:\/m\.gguf: score: cannot score the continuation starting "2" after the prompt ending "x = 1"/);
    expect(msg).toContain(`the token " 12" spans the prompt/continuation boundary`);
    expect(msg).toContain(`the prompt's own tokens end [" ", "1"] while prompt + continuation has [" 12"] there`);
    expect(msg).toMatch(/put the space or the merged characters at the start of the continuation/);
  });

  it("an empty prompt with a BOS scores every continuation token after it", () => {
    const s = splitForScore("m", toy(1), { prompt: "", continuation: "ab" });
    expect(s).toMatchObject({ ok: true, ids: [1, 97, 98], start: 1 });
    const none = splitForScore("m", toy(), { prompt: "", continuation: "ab" });
    expect(none.ok || formatBoundaryProblem(none.problem)).toMatch(/prompt is empty, or only whitespace .*and the tokenizer has no BOS/);
  });

  it("an empty continuation is refused before tokenising", () => {
    const s = splitForScore("m", toy(), { prompt: "ab", continuation: "" });
    expect(s.ok || s.problem.code).toBe("empty_continuation");
  });
});

describe("splitForScoring (builtin's HF tokenizers)", () => {
  const hf = (bos?: number) => {
    const t = toy(bos);
    return { encodeWithSpecial: t.encode, bosId: bos, decode: (ids: readonly number[]) => ids.map(t.pieceText).join("") };
  };
  it("gives the prompt's and the continuation's ids, and a BoundaryError as data when a merge spans the boundary", () => {
    expect(splitForScoring(hf(), "x =", " 12")).toEqual({ ok: true, value: { prompt: [120, 32, 61], continuation: [1000] } });
    const bad = splitForScoring(hf(), "x = 1", "2", "builtin:/models/m");
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error).toBeInstanceOf(BoundaryError);
    expect(bad.error.code).toBe("token_boundary");
    expect(bad.message).toMatch(/^builtin:\/models\/m: score: .*" 12" spans the prompt\/continuation boundary/);
  });
});
