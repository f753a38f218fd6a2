/**
 * The BPE trainer (src/train/tokenizer/bpe-train.ts): its incremental pair counts give
 * exactly the merges of a naive recount-every-merge reference (same documented
 * tie-break) on world text; ties go to the smaller left id; it stops early, saying why,
 * when no pair occurs twice; and the tokenizer it makes round-trips its training text.
 */
import { describe, expect, it } from "vitest";
import { BYTE_OFFSET, SPECIAL_TOKENS, bytesToUnicode, preTokenize } from "../../../src/model/index.js";
import { corpusDocuments, trainBpe, trainBpeReport } from "../../../src/train/index.js";
import { worldSettingsSchema } from "../../../src/world/index.js";

/** The textbook algorithm: recount every pair of every word before each merge. */
function naiveMerges(texts: string[], vocabSize: number): [string, string][] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of preTokenize(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const tokens = [...SPECIAL_TOKENS, ...bytesToUnicode()];
  const words = [...counts].map(([w, n]) => ({ s: [...Buffer.from(w, "utf8")].map((b) => b + BYTE_OFFSET), n }));
  const merges: [string, string][] = [];
  while (tokens.length < vocabSize) {
    const pairs = new Map<string, number>();
    for (const { s, n } of words) for (let i = 0; i + 1 < s.length; i++) pairs.set(`${s[i]},${s[i + 1]}`, (pairs.get(`${s[i]},${s[i + 1]}`) ?? 0) + n);
    let best: [number, number] | null = null, bestN = 0;
    for (const [k, n] of pairs) {
      const [a, b] = k.split(",").map(Number);
      if (n > bestN || (n === bestN && best && (a < best[0] || (a === best[0] && b < best[1])))) [best, bestN] = [[a, b], n];
    }
    if (!best || bestN < 2) break;
    const [a, b] = best;
    let id = tokens.indexOf(tokens[a] + tokens[b]);
    if (id < 0) id = tokens.push(tokens[a] + tokens[b]) - 1;
    merges.push([tokens[a], tokens[b]]);
    for (const w of words) {
      const out: number[] = [];
      for (let i = 0; i < w.s.length; i++) {
        if (i + 1 < w.s.length && w.s[i] === a && w.s[i + 1] === b) { out.push(id); i++; } else out.push(w.s[i]);
      }
      w.s = out;
    }
  }
  return merges;
}

const world = worldSettingsSchema.parse({});
const docs = corpusDocuments(world, { knowledge: 0.5, arithmetic: 0.5 }, 300).map((d) => d.text);

describe("trainBpe", () => {
  it("makes the merges of a naive recount, on world text", () => {
    const texts = [...docs, "aaaa aaaa aaaa bbb bbb", "héllo héllo wörld wörld 🎉🎉"];
    const tok = trainBpe(texts, { vocabSize: 420 });
    expect(tok.size).toBe(420);
    expect(tok.merges).toEqual(naiveMerges(texts, 420));
    for (const t of texts) expect(tok.decode(tok.encode(t))).toBe(t);
    // the merges shorten the text: world text carries several characters per token
    const chars = docs.join("").length, ids = docs.reduce((s, d) => s + tok.encode(d).length, 0);
    expect(chars / ids).toBeGreaterThan(2);
  });

  it("breaks ties by the smaller left token id, then the smaller right one", () => {
    // (a,b) and (b,a) both occur twice; a < b
    const tok = trainBpe(["ba ba", "ab ab"], { vocabSize: 265 });
    expect(tok.merges[0]).toEqual(["a", "b"]);
  });

  it("stops early, with its reason, when no pair occurs twice", () => {
    const r = trainBpeReport(["abab"], { vocabSize: 300 });
    expect(r.tokenizer.merges).toEqual([["a", "b"]]);
    expect(r.tokenizer.size).toBe(265);
    expect(r.stopped).toMatch(/stopped at 265 tokens: no pair of tokens occurs twice/);
    expect(r.words).toEqual({ distinct: 1, total: 1 });
    expect(trainBpeReport(docs, { vocabSize: 300 }).stopped).toMatch(/reached 300 tokens/);
  });

  it("refuses a vocabulary smaller than the special and byte tokens", () => {
    expect(() => trainBpe(docs, { vocabSize: 100 })).toThrow(/from 264/);
  });

  it("is deterministic", () => {
    expect(trainBpe(docs, { vocabSize: 350 }).merges).toEqual(trainBpe([...docs], { vocabSize: 350 }).merges);
  });
});
