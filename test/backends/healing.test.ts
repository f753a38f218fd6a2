/**
 * Token healing's pure parts (src/backends/healing.ts): where a prompt's trailing
 * whitespace is cut, which tokens of a small byte-level BPE vocabulary may start the
 * generation for W = " " and W = "\n" (and a W longer than one token), stripping W from
 * the generated text, the renormalised first-token distribution, the healer's cache, and
 * telling a byte-level BPE tokenizer.json from the lab's character one and a
 * SentencePiece-style one.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allowedFirstTokens, Healer, renormaliseOver, splitTrailingWhitespace, stripHealed, tokenizerJsonHealable } from "../../src/backends/healing.js";
import { maskLogits } from "../../src/model/index.js";

// decoded token texts of a small BPE vocabulary (byte-level "Ġ" already decoded to " ")
const TEXTS = ["<pad>", "<bos>", "<eos>", " ", "\n", "a", " farmer", " the", "\n\n", "\nThe", "farmer", "  ", " \n", ":", "\uFFFD", ""];

describe("token healing helpers", () => {
  it("splits the trailing whitespace off a prompt; none, or only whitespace: no healing", () => {
    expect(splitTrailingWhitespace("Answer: ")).toEqual({ head: "Answer:", w: " " });
    expect(splitTrailingWhitespace("Q?\n\n")).toEqual({ head: "Q?", w: "\n\n" });
    expect(splitTrailingWhitespace("x \t\n ")).toEqual({ head: "x", w: " \t\n " });
    expect(splitTrailingWhitespace("Answer:")).toBeNull();
    expect(splitTrailingWhitespace("   ")).toBeNull();
    expect(splitTrailingWhitespace("")).toBeNull();
  });

  it("W = \" \": the tokens whose text starts with a space", () => {
    expect(allowedFirstTokens(TEXTS, " ")).toEqual([3, 6, 7, 11, 12]);
  });

  it("W = \"\\n\": the tokens whose text starts with a newline", () => {
    expect(allowedFirstTokens(TEXTS, "\n")).toEqual([4, 8, 9]);
  });

  it("W longer than one token: only the tokens that start with all of it (a shorter one would leave the rest unwritten)", () => {
    expect(allowedFirstTokens(TEXTS, "\n\n")).toEqual([8]);
    expect(allowedFirstTokens(TEXTS, " \n")).toEqual([12]);
    expect(allowedFirstTokens(TEXTS, "\t")).toEqual([]);
    expect(() => allowedFirstTokens(TEXTS, "")).toThrow(/empty/);
  });

  it("strips W from the front of the generated text", () => {
    expect(stripHealed(" farmer", " ")).toBe("farmer");
    expect(stripHealed("\nThe end", "\n")).toBe("The end");
    expect(stripHealed("\n\nx", "\n\n")).toBe("x");
    expect(stripHealed("\nx", "\n\n")).toBe("\nx");
    expect(stripHealed("", " ")).toBe("");
    expect(stripHealed("farmer", "")).toBe("farmer");
  });

  it("renormalises the first token's log-probs over the allowed set, and the engine's mask agrees", () => {
    const lp = Float64Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    const r = renormaliseOver(lp, [1, 2]);
    expect(r[0]).toBe(-Infinity);
    expect(Math.exp(r[1])).toBeCloseTo(0.6, 12);
    expect(Math.exp(r[2])).toBeCloseTo(0.4, 12);
    const m = maskLogits(Float32Array.from([3, 1, 2]), [1, 2]);
    expect(Array.from(m)).toEqual([-Infinity, 1, 2]);
  });

  it("a byte-level BPE tokenizer.json is healed; the lab's character one and a SentencePiece-style BPE are not", () => {
    expect(tokenizerJsonHealable(readFileSync("zoo/base-m-bpe/tokenizer.json", "utf8"))).toBe(true);
    expect(tokenizerJsonHealable(readFileSync("zoo/base-m/tokenizer.json", "utf8"))).toBe(false);
    expect(tokenizerJsonHealable("not json")).toBe(false);
    // Llama 2's layout: merges, but "▁" tokens whose decoder strips the leading space of a lone token
    const spm = { model: { type: "BPE", merges: ["▁ t"] }, decoder: { type: "Sequence", decoders: [{ type: "Replace" }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", start: 1 }] } };
    expect(tokenizerJsonHealable(JSON.stringify(spm))).toBe(false);
    const nested = { model: { type: "BPE", merges: ["a b"] }, decoder: { type: "Sequence", decoders: [{ type: "ByteLevel" }] } };
    expect(tokenizerJsonHealable(JSON.stringify(nested))).toBe(true);
  });

  it("the healer computes each tail's allowed set once and heals only where a token starts with it", () => {
    let reads = 0;
    const h = new Healer(() => (reads++, TEXTS));
    expect(h.heal("Answer: ")).toEqual({ head: "Answer:", w: " ", allowed: [3, 6, 7, 11, 12] });
    expect(h.heal("Why? ")?.allowed).toEqual([3, 6, 7, 11, 12]);
    expect(h.heal("x\t")).toBeNull(); // no token starts with a tab: not healed
    expect(h.heal("Answer:")).toBeNull();
    expect(reads).toBe(1);
  });
});
