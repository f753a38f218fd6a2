/**
 * Byte-level BPE (src/model/bpe-tokenizer.ts): GPT-2's id layout and pre-tokenisation,
 * merges applied by rank (not left to right), special tokens only when allowed, and
 * decoding that round-trips any text, non-ASCII included.
 */
import { describe, expect, it } from "vitest";
import { BpeTokenizer, BYTE_OFFSET, CharTokenizer, SPECIAL_TOKENS, byteLevelText, preTokenize, type Tokenizer } from "../../src/model/index.js";

const G = (s: string) => byteLevelText(s);

describe("BpeTokenizer", () => {
  it("lays ids out as specials, the 256 byte tokens in byte order, then merged tokens", () => {
    const t = new BpeTokenizer(["ab"], [["a", "b"]]);
    expect(t.kind).toBe("bpe");
    expect(t.size).toBe(8 + 256 + 1);
    expect(t.tokens.slice(0, 8)).toEqual([...SPECIAL_TOKENS]);
    expect(t.idOf("a")).toBe(BYTE_OFFSET + 97);
    expect(t.idOf(G(" "))).toBe(BYTE_OFFSET + 32);
    expect(t.tokens[BYTE_OFFSET + 32]).toBe("Ġ");
    expect(t.tokens[BYTE_OFFSET + 10]).toBe("Ċ");
    expect(t.idOf("ab")).toBe(264);
    expect([t.pad, t.bos, t.eos, t.unk]).toEqual([0, 1, 2, 3]);
    expect(t.isSpecial(7)).toBe(true);
    expect(t.isSpecial(8)).toBe(false);
  });

  it("pre-tokenises with GPT-2's pattern", () => {
    expect(preTokenize("Hello world's  123\n\nx ")).toEqual(["Hello", " world", "'s", " ", " 123", "\n", "\n", "x", " "]); // \s+(?!\S) leaves the last newline to \s+
    expect(preTokenize("a+b=12 ok?!")).toEqual(["a", "+", "b", "=", "12", " ok", "?!"]);
    expect(preTokenize("they'll 'd")).toEqual(["they", "'ll", " '", "d"]);
  });

  it("applies merges by rank, not left to right", () => {
    // rank 0 joins "b c", so "abc" → a + bc although "a b" is also a merge
    const t = new BpeTokenizer(["bc", "ab"], [["b", "c"], ["a", "b"]]);
    expect(t.encode("abc")).toEqual([t.idOf("a"), t.idOf("bc")]);
    expect(t.encode("abd")).toEqual([t.idOf("ab"), t.idOf("d")]);
    // every occurrence of the best pair, left to right: "aaa" with a+a → aa, a
    const u = new BpeTokenizer(["aa"], [["a", "a"]]);
    expect(u.encode("aaa")).toEqual([u.idOf("aa"), u.idOf("a")]);
    expect(u.encode("aaaa")).toEqual([u.idOf("aa"), u.idOf("aa")]);
  });

  it("never merges across pre-token boundaries", () => {
    const t = new BpeTokenizer(["a" + G(" "), G(" ") + "b"], [["a", G(" ")], [G(" "), "b"]]);
    // "a b" → "a", " b": the pair (a, space) spans two words
    expect(t.encode("a b")).toEqual([t.idOf("a"), t.idOf(G(" b"))]);
  });

  it("matches special tokens only with allowSpecial", () => {
    const t = new BpeTokenizer([], []);
    expect(t.encode("<|user|>hi<eos>", { allowSpecial: true })).toEqual([5, t.idOf("h"), t.idOf("i"), 2]);
    const plain = t.encode("<|user|>");
    expect(plain.every((id) => !t.isSpecial(id))).toBe(true);
    expect(t.decode(plain)).toBe("<|user|>");
  });

  it("decodes any text back, non-ASCII and emoji included, and skips specials on request", () => {
    const t = new BpeTokenizer([], []);
    for (const s of ["héllo wörld", "日本語\t🎉\r\n", "  spaces  ", ""]) {
      const ids = t.encode(s);
      expect(ids.every((id) => id >= BYTE_OFFSET)).toBe(true); // never <unk>
      expect(t.decode(ids)).toBe(s);
    }
    const ids = [1, ...t.encode("é"), 2];
    expect(t.decode(ids)).toBe("<bos>é<eos>");
    expect(t.decode(ids, { skipSpecial: true })).toBe("é");
  });

  it("refuses merges whose parts or result are not tokens", () => {
    expect(() => new BpeTokenizer([], [["a", "b"]])).toThrow(/merge 0/);
    expect(() => new BpeTokenizer(["ab", "ab"], [["a", "b"]])).toThrow(/appears twice/);
  });

  it("shares the Tokenizer interface with the character tokenizer", () => {
    const both: Tokenizer[] = [new CharTokenizer(), new BpeTokenizer([], [])];
    expect(both.map((t) => t.kind)).toEqual(["char", "bpe"]);
    for (const t of both) expect(t.decode(t.encode("Answer: 42", { allowSpecial: true }))).toBe("Answer: 42");
  });
});
