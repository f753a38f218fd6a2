import { describe, expect, it } from "vitest";
import { memoEncode } from "../../../src/backends/builtin/encode-memo.js";

/** A stand-in tokenizer that counts its calls: one id per character. */
function counting() {
  const calls: string[] = [];
  const encode = (text: string) => {
    calls.push(text);
    return [...text].map((c) => c.charCodeAt(0));
  };
  return { calls, encode };
}

describe("memoEncode", () => {
  it("encodes a repeated text once and gives each caller its own copy", () => {
    const t = counting();
    const enc = memoEncode(t.encode);
    const a = enc("Q: 2+3?");
    a.push(999); // a caller that changes its array must not change what the next caller gets
    expect(enc("Q: 2+3?")).toEqual(t.encode("Q: 2+3?"));
    expect(t.calls.filter((c) => c === "Q: 2+3?")).toHaveLength(2); // the memo's one call, and the check's
  });

  it("forgets the least recently used text first", () => {
    const t = counting();
    const enc = memoEncode(t.encode, 2);
    enc("a");
    enc("b");
    enc("a"); // a is now the most recent
    enc("c"); // evicts b
    t.calls.length = 0;
    enc("a");
    enc("c");
    expect(t.calls).toEqual([]);
    enc("b");
    expect(t.calls).toEqual(["b"]);
  });

  it("does not keep long texts", () => {
    const t = counting();
    const enc = memoEncode(t.encode);
    const long = "x".repeat(5000);
    enc(long);
    enc(long);
    expect(t.calls).toHaveLength(2);
  });
});
