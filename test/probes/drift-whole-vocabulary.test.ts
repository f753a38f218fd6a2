/**
 * knowledge.drift over whole vocabularies gives the numbers it gave before its fast path:
 * the pre-change positionKl (verbatim below) on the pre-change builtin scoreTokens
 * (test/backends/builtin/reference-score-tokens.ts) against the probe's records, bit for
 * bit, on zoo/base-s vs zoo/base-m; and positionKl equals the old one whether a position
 * has the backend's typed arrays, only a `top` (a cached copy), or one of each.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openModel, type LanguageModel, type PositionScore } from "../../src/backends/index.js";
import { ZOO_DIR } from "../../src/formats/index.js";
import type { Item } from "../../src/probes/index.js";
import { driftProbe, positionKl } from "../../src/probes/drift.js";
import { tasks } from "../../src/world/index.js";
import { referenceScoreTokens } from "../backends/builtin/reference-score-tokens.js";
import { collect, probeContext } from "./helpers.js";

/** positionKl before the whole-vocabulary path, verbatim. */
function oldLogSumExp(xs: readonly number[]): number {
  const top = Math.max(...xs);
  if (!Number.isFinite(top)) return top;
  return top + Math.log(xs.reduce((s, x) => s + Math.exp(x - top), 0));
}
function oldListed(pos: PositionScore): Map<number, number> {
  const m = new Map(pos.top.map((e) => [e.id, e.logprob] as const));
  m.set(pos.id, pos.logprob);
  return m;
}
function oldPositionKl(ref: PositionScore, model: PositionScore): number {
  const r = oldListed(ref);
  const m = oldListed(model);
  const ids = [...new Set([...r.keys(), ...m.keys()])];
  const floorR = Math.min(...r.values());
  const floorM = Math.min(...m.values());
  const lr = ids.map((id) => r.get(id) ?? floorR);
  const lm = ids.map((id) => m.get(id) ?? floorM);
  const zr = oldLogSumExp(lr);
  const zm = oldLogSumExp(lm);
  let kl = 0;
  lr.forEach((x, j) => {
    const a = x - zr;
    if (a === -Infinity) return;
    kl += Math.exp(a) * (a - (lm[j] - zm));
  });
  return kl;
}

const texts = tasks.knowledge.documents({ config: tasks.knowledge.defaults, seed: 1, n: 4 });
const items: Item[] = texts.map((answer, i) => ({ id: `knowledge/doc/${i}`, prompt: "", answer, domain: "knowledge", role: "reference" }));
const viaJson = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe("knowledge.drift over the whole vocabulary", () => {
  it("zoo/base-s vs zoo/base-m: kl and nll identical to the pre-change computation", async () => {
    const ref: LanguageModel = await openModel("builtin:zoo/base-s");
    const tuned: LanguageModel = await openModel("builtin:zoo/base-m");
    const oldRef = await referenceScoreTokens(join(ZOO_DIR, "base-s"));
    const oldTuned = await referenceScoreTokens(join(ZOO_DIR, "base-m"));
    const V = ref.vocab!.size;
    const records = await collect(driftProbe.run(tuned, items, probeContext(ref, { batchSize: 2 })));
    const self = await collect(driftProbe.run(ref, items, probeContext(ref, { batchSize: 2 })));
    expect(records).toHaveLength(items.length);
    items.forEach((item, i) => {
      const ids = ref.vocab!.encodePrompt(item.answer);
      const r = oldRef(ids, V);
      const g = oldTuned(ids, V);
      const kls = r.map((p, t) => oldPositionKl(p, g[t]));
      expect(records[i].values.kl).toBe(kls.reduce((a, b) => a + b, 0) / kls.length);
      expect(records[i].values.nll).toBe(-g.reduce((s, p) => s + p.logprob, 0) / g.length);
      expect(records[i].detail.distributions).toBe("full");
      expect(self[i].values.kl).toBe(0);
      expect(self[i].values.nll).toBe(-r.reduce((s, p) => s + p.logprob, 0) / r.length);
    });
    await ref.close();
    await tuned.close();
  });

  it("positionKl: the same bits with typed arrays, with top only, and with one of each", async () => {
    const ref = await openModel("builtin:zoo/base-s");
    const tuned = await openModel("builtin:zoo/base-m");
    const V = ref.vocab!.size;
    const ids = ref.vocab!.encodePrompt(texts[0]);
    const r = await ref.scoreTokens!(ids, V);
    const g = await tuned.scoreTokens!(ids, V);
    expect(r[0].vocabulary).toBeDefined();
    const rJson = viaJson(r);
    const gJson = viaJson(g);
    expect(rJson[0].vocabulary).toBeUndefined();
    r.forEach((p, t) => {
      const want = oldPositionKl(rJson[t], gJson[t]);
      expect(positionKl(p, g[t])).toBe(want);
      expect(positionKl(rJson[t], gJson[t])).toBe(want);
      expect(positionKl(p, gJson[t])).toBe(want);
      expect(positionKl(rJson[t], g[t])).toBe(want);
      expect(positionKl(p, p)).toBe(0);
    });
    // with the typed arrays on both sides, top is never built (V objects per position were drift's main cost)
    const typedOnly = (p: PositionScore): PositionScore =>
      Object.defineProperty({ id: p.id, token: p.token, logprob: p.logprob, get top(): PositionScore["top"] { throw new Error("top was read"); } }, "vocabulary", { value: p.vocabulary });
    r.forEach((p, t) => expect(positionKl(typedOnly(p), typedOnly(g[t]))).toBe(positionKl(rJson[t], gJson[t])));
    // a top-k position against a whole one: the general (union) path, as before
    const small = await tuned.scoreTokens!(ids, 7);
    r.forEach((p, t) => expect(positionKl(p, small[t])).toBe(oldPositionKl(rJson[t], viaJson(small[t]))));
    // a top that repeats an id is not the whole vocabulary: the general path
    const twice = { ...gJson[0], top: [...gJson[0].top.slice(0, V - 1), gJson[0].top[0]] };
    expect(positionKl(rJson[0], twice)).toBe(oldPositionKl(rJson[0], twice));
    await ref.close();
    await tuned.close();
  });
});
