/**
 * Drift: per-token KL(reference ‖ model) and NLL on reference documents, from full
 * next-token distributions of scripted fakes (exact values by hand), 0 for a model
 * against itself, top-k (an approximation, said in the note) for large vocabularies,
 * null with a note when the vocabularies differ or token access is missing.
 */
import { describe, expect, it } from "vitest";
import type { LanguageModel, PositionScore, TokenIds, Vocabulary } from "../../src/backends/index.js";
import type { Item } from "../../src/probes/index.js";
import { driftProbe } from "../../src/probes/drift.js";
import { tasks } from "../../src/world/index.js";
import { fakeModel } from "./fake-model.js";
import { collect, probeContext, withModel } from "./helpers.js";

const ctxFor = (reference: LanguageModel) => probeContext(reference, { maxTokens: 16, batchSize: 2 });

/** A character vocabulary over `chars`, padded to `size` ids. */
function charVocab(chars: string, size = chars.length): Vocabulary {
  return {
    size,
    encode: (text) => [...text].map((c) => chars.indexOf(c)),
    encodePrompt: (text) => [...text].map((c) => chars.indexOf(c)),
    decode: (ids) => ids.map((i) => chars[i] ?? "?").join(""),
    tokenText: (id) => chars[id] ?? `<${id}>`,
  };
}

/** A fake with token access: `dist(prefix)` is the next-token distribution (probabilities by id). */
function tokenModel(id: string, vocab: Vocabulary, dist: (prefix: TokenIds) => number[]) {
  const asked: number[] = [];
  const m: LanguageModel = {
    ...fakeModel({}),
    id,
    vocab,
    async scoreTokens(ids: TokenIds, topK: number): Promise<PositionScore[]> {
      asked.push(topK);
      return ids.slice(1).map((tok, k) => {
        const lp = dist(ids.slice(0, k + 1)).map(Math.log);
        const top = lp.map((logprob, i) => ({ id: i, token: vocab.tokenText(i), logprob }))
          .sort((a, b) => b.logprob - a.logprob || a.id - b.id).slice(0, topK);
        return { id: tok, token: vocab.tokenText(tok), logprob: lp[tok], top };
      });
    },
  };
  return { model: m, asked };
}

const doc = (id: string, text: string, domain = "neutral"): Item => ({ id, prompt: "", answer: text, domain, role: "reference" });

const ABC = charVocab("abc");
const P = [0.8, 0.1, 0.1];
const Q = [0.4, 0.3, 0.3];

describe("knowledge.drift", () => {
  it("computes the exact mean KL(reference ‖ model) and NLL from full distributions", async () => {
    const ref = tokenModel("ref", ABC, () => P);
    const tuned = tokenModel("tuned", ABC, () => Q);
    const [r] = await collect(driftProbe.run(tuned.model, [doc("d", "abca")], ctxFor(ref.model)));
    // KL(P ‖ Q) = 0.8 ln 2 + 2 · 0.1 ln(1/3), at each of the 3 positions (not KL(Q ‖ P) = 0.6 ln 3 − 0.4 ln 2)
    expect(r.values.kl).toBeCloseTo(0.8 * Math.log(2) - 0.2 * Math.log(3), 12);
    // tokens b, c, a under Q
    expect(r.values.nll).toBeCloseTo(-(2 * Math.log(0.3) + Math.log(0.4)) / 3, 12);
    expect(r.note).toBeUndefined();
    expect(r.detail).toMatchObject({ tokens: 4, scored: 3, distributions: "full" });
    expect(ref.asked).toEqual([3]);
    expect(tuned.asked).toEqual([3]);
  });

  it("averages over positions: a model that agrees at the first position only", async () => {
    const ref = tokenModel("ref", ABC, () => P);
    const tuned = tokenModel("tuned", ABC, (prefix) => (prefix.length === 1 ? P : Q));
    const [r] = await collect(driftProbe.run(tuned.model, [doc("d", "abc")], ctxFor(ref.model)));
    expect(r.values.kl).toBeCloseTo((0.8 * Math.log(2) - 0.2 * Math.log(3)) / 2, 12);
    expect((r.detail.worst as { at: number; kl: number }[])[0].at).toBe(2);
  });

  it("is exactly 0 for a model against itself", async () => {
    const m = tokenModel("m", ABC, (prefix) => (prefix.length % 2 ? P : Q));
    const r = await collect(driftProbe.run(m.model, [doc("d", "abcab"), doc("e", "cc")], ctxFor(m.model)));
    expect(r.map((x) => x.values.kl)).toEqual([0, 0]);
  });

  it("approximates over the union of top-20 sets for a large vocabulary, and says so", async () => {
    // all the mass on the first three ids of a 5,000-token vocabulary: the top-20 sets hold it all
    const big = charVocab("abc", 5000);
    const pad = (p: number[]) => [...p, ...Array<number>(4997).fill(0)];
    const ref = tokenModel("ref", big, () => pad(P));
    const tuned = tokenModel("tuned", big, () => pad(Q));
    const [r] = await collect(driftProbe.run(tuned.model, [doc("d", "abca")], ctxFor(ref.model)));
    expect(ref.asked).toEqual([20]);
    expect(r.values.kl).toBeCloseTo(0.8 * Math.log(2) - 0.2 * Math.log(3), 12);
    expect(r.note).toMatch(/approximated over the union of the two models' top-20 sets/);
    expect(r.detail.distributions).toBe("top-20");
  });

  it("gives null with a note when the vocabularies differ or token access is missing", async () => {
    const ref = tokenModel("ref", ABC, () => P);
    const other = tokenModel("other", charVocab("bca"), () => Q);
    const [r] = await collect(driftProbe.run(other.model, [doc("d", "abc")], ctxFor(ref.model)));
    expect(r.values).toEqual({ kl: null, nll: null });
    expect(r.note).toMatch(/tokenise differently/);
    const plain = fakeModel({});
    expect(driftProbe.unavailable!(plain)).toMatch(/token log-probabilities/);
    expect(driftProbe.unavailable!(ref.model)).toBeUndefined();
    const [s] = await collect(driftProbe.run(ref.model, [doc("d", "abc")], ctxFor(plain)));
    expect(s.values).toEqual({ kl: null, nll: null });
    expect(s.note).toMatch(/the reference fake/);
    const [t] = await collect(driftProbe.run(ref.model, [doc("d", "a")], ctxFor(ref.model)));
    expect(t.values).toEqual({ kl: null, nll: null });
    expect(t.note).toMatch(/at least two/);
  });

  it("applies to reference documents only, per domain", () => {
    expect(driftProbe.perDomain).toBe(true);
    expect(driftProbe.applies(doc("d", "x"))).toBe(true);
    expect(driftProbe.applies({ id: "q", prompt: "Q", answer: "a", domain: "k" })).toBe(false);
    expect(driftProbe.metrics.map((m) => m.role)).toEqual(["capability", "capability"]);
  });

  describe("on zoo/base-m", () => {
    it("drifts 0 from itself on two knowledge documents, with a finite NLL", async () => {
      await withModel("builtin:zoo/base-m", async (model) => {
        const docs = tasks.knowledge.documents({ config: tasks.knowledge.defaults, seed: 1, n: 2 });
        const items = docs.map((text, i) => doc(`knowledge/doc/${i}`, text, "knowledge"));
        const r = await collect(driftProbe.run(model, items, ctxFor(model)));
        expect(r).toHaveLength(2);
        for (const x of r) {
          expect(x.values.kl).toBe(0);
          expect(x.values.nll).toBeGreaterThan(0);
          expect(Number.isFinite(x.values.nll)).toBe(true);
          expect(x.detail.distributions).toBe("full");
        }
      });
    });
  });
});
