/**
 * withBatching: batches that wait at the same moment become one backend call, each caller
 * gets exactly its own answers (or the error its own batch gets alone), and one call is in
 * flight at a time, so the request cache below answers repeats.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CallQueue, openRequestCache, withBatching, withCache, type GenerateRequest, type LanguageModel, type ScoreRequest } from "../../../src/backends/index.js";

interface Recorder extends LanguageModel {
  /** Each inner call: its kind and its requests' prompts. */
  log: { kind: string; prompts: string[] }[];
  /** Most calls in flight at once. */
  peak: number;
}

/** Answers derive from the request alone; a prompt containing "LONG" fails its whole batch with a context error. */
function recorder(opts: { scoreTokens?: boolean } = {}): Recorder {
  let inFlight = 0;
  const m: Recorder = {
    id: "fake:rec",
    log: [],
    peak: 0,
    async generate() {
      throw new Error("the wrapper sends generateBatch");
    },
    async generateBatch(reqs: GenerateRequest[]) {
      m.log.push({ kind: "generate", prompts: reqs.map((r) => r.prompt!) });
      m.peak = Math.max(m.peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      const long = reqs.find((r) => r.prompt!.includes("LONG"));
      if (long) throw new Error(`a prompt of 300 tokens exceeds the context length 256 ("${long.prompt}")`);
      return reqs.map((r) => ({ samples: Array.from({ length: r.n ?? 1 }, (_, i) => ({ text: `${r.prompt}/${r.seed}/${i}`, finishReason: "length" as const })) }));
    },
    async score() {
      throw new Error("the wrapper sends scoreBatch");
    },
    async scoreBatch(reqs: ScoreRequest[]) {
      m.log.push({ kind: "score", prompts: reqs.map((r) => r.prompt) });
      m.peak = Math.max(m.peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return reqs.map((r) => ({ logprob: -r.continuation.length, isGreedy: true, tokens: [] }));
    },
    async close() {},
  };
  if (opts.scoreTokens) {
    m.scoreTokens = async (ids) => {
      m.log.push({ kind: "scoreTokens", prompts: [ids.join(",")] });
      return [];
    };
  }
  return m;
}

const gen = (prompt: string, n = 1): GenerateRequest => ({ prompt, maxTokens: 8, temperature: 1, seed: prompt.length, n });
const texts = (gs: { samples: { text: string }[] }[]) => gs.map((g) => g.samples.map((s) => s.text));

describe("withBatching", () => {
  it("merges the batches that wait together into one call; each caller gets its own answers, in its order", async () => {
    const inner = recorder();
    const m = withBatching(inner);
    const [a, b, c, s] = await Promise.all([
      m.generateBatch([gen("a1"), gen("a2", 2)]),
      m.generateBatch([gen("b1")]),
      m.generate(gen("c1")),
      m.scoreBatch([{ prompt: "s1", continuation: "xy" }]),
    ]);
    expect(texts(a)).toEqual([["a1/2/0"], ["a2/2/0", "a2/2/1"]]);
    expect(texts(b)).toEqual([["b1/2/0"]]);
    expect(c.samples.map((x) => x.text)).toEqual(["c1/2/0"]);
    expect(s[0].logprob).toBe(-2);
    // generation and scoring are separate calls; a kind's batches are one
    expect(inner.log).toEqual([{ kind: "generate", prompts: ["a1", "a2", "b1", "c1"] }, { kind: "score", prompts: ["s1"] }]);
    expect(m.stats).toEqual({ calls: 2, jobs: 4, splits: 0 });
  });

  it("keeps one call in flight, and fills each call up to the limit (samples for generation)", async () => {
    const inner = recorder();
    const m = withBatching(inner, { maxSamples: 4 });
    await Promise.all([m.generateBatch([gen("x", 3)]), m.generateBatch([gen("y", 2)]), m.generateBatch([gen("z")]), m.generateBatch([gen("w", 9)])]);
    // x (3) + z (1) fill 4; y waits; w alone is over the limit and goes alone
    expect(inner.log.map((l) => l.prompts)).toEqual([["x", "z"], ["y"], ["w"]]);
    expect(inner.peak).toBe(1);
  });

  it("models that share a queue never compute at once, and each model's batches merge on their own", async () => {
    const queue = new CallQueue();
    const [x, y] = [recorder(), recorder()];
    let inFlight = 0;
    let peak = 0;
    for (const r of [x, y]) {
      const inner = r.generateBatch.bind(r);
      r.generateBatch = async (reqs) => {
        peak = Math.max(peak, ++inFlight);
        try {
          return await inner(reqs);
        } finally {
          inFlight--;
        }
      };
    }
    const [mx, my] = [withBatching(x, { queue }), withBatching(y, { queue })];
    await Promise.all([mx.generateBatch([gen("x1")]), my.generateBatch([gen("y1")]), mx.generateBatch([gen("x2")]), my.generateBatch([gen("y2")])]);
    expect(peak).toBe(1);
    expect(x.log.map((l) => l.prompts)).toEqual([["x1", "x2"]]);
    expect(y.log.map((l) => l.prompts)).toEqual([["y1", "y2"]]);
  });

  it("a merged call that fails is split until the failing batch is alone: it gets its error, the others their answers", async () => {
    const inner = recorder();
    const m = withBatching(inner);
    const results = await Promise.allSettled([
      m.generateBatch([gen("ok1")]),
      m.generateBatch([gen("ok2"), gen("LONG one")]),
      m.generateBatch([gen("ok3")]),
      m.generateBatch([gen("ok4")]),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/exceeds the context length 256 \("LONG one"\)/);
    expect(texts((results[3] as PromiseFulfilledResult<{ samples: { text: string }[] }[]>).value)).toEqual([["ok4/3/0"]]);
    expect(m.stats.splits).toBeGreaterThan(0);
  });

  it("with isolate false, an error fails every batch of the call at once", async () => {
    const inner = recorder();
    const m = withBatching(inner, { isolate: () => false });
    const results = await Promise.allSettled([m.generateBatch([gen("ok1")]), m.generateBatch([gen("LONG")])]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(inner.log).toHaveLength(1);
  });

  it("over the request cache: a request repeated after it was answered is a cache hit, never computed twice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ftledger-batching-"));
    const cache = openRequestCache(join(dir, "cache.sqlite"));
    try {
      const inner = recorder();
      const cached = withCache(inner, cache);
      const m = withBatching(cached);
      // the second caller asks for the same request one turn later, while the first call is in flight
      const first = m.generateBatch([gen("same"), gen("other")]);
      await new Promise((r) => setImmediate(r));
      const second = m.generateBatch([gen("same")]);
      expect(texts(await second)).toEqual([["same/4/0"]]);
      await first;
      expect(inner.log.flatMap((l) => l.prompts)).toEqual(["same", "other"]);
      expect(cached.stats).toMatchObject({ misses: 2, hits: 1 });
    } finally {
      cache.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a one-call job that throws before returning a promise rejects its caller, and the queue goes on", async () => {
    const inner = recorder();
    inner.scoreTokens = (ids) => {
      if (ids.length === 0) throw new Error("no tokens to score");
      return Promise.resolve([]);
    };
    const m = withBatching(inner);
    await expect(m.scoreTokens!([], 5)).rejects.toThrow("no tokens to score");
    expect(await m.scoreTokens!([1], 5)).toEqual([]);
  });

  it("has an optional method exactly when the model has it, and passes requests with a signal straight through", async () => {
    expect(withBatching(recorder()).scoreTokens).toBeUndefined();
    const inner = recorder({ scoreTokens: true });
    const m = withBatching(inner);
    expect(await m.scoreTokens!([1, 2, 3], 5)).toEqual([]);
    expect(inner.log).toEqual([{ kind: "scoreTokens", prompts: ["1,2,3"] }]);
    const signal = new AbortController().signal;
    await Promise.all([m.generateBatch([{ ...gen("s1"), signal }]), m.generateBatch([gen("q")])]);
    // the signalled batch is its own call, sent at once; the other waited for its turn
    expect(inner.log.slice(1).map((l) => l.prompts)).toEqual([["s1"], ["q"]]);
  });

  it("merges concurrent scoreTokens calls into one scoreTokensBatch, each caller its own answer; a failing one is isolated", async () => {
    const inner = recorder({ scoreTokens: true });
    const pos = (ids: readonly number[], topK: number) => ids.slice(1).map((id) => ({ id, token: `t${id}`, logprob: -topK, top: [] }));
    inner.scoreTokensBatch = async (reqs) => {
      inner.log.push({ kind: "scoreTokensBatch", prompts: reqs.map((r) => r.ids.join(",")) });
      await new Promise((r) => setTimeout(r, 5));
      const long = reqs.find((r) => r.ids.length > 5);
      if (long) throw new Error(`${long.ids.length} tokens exceed the model's context length 5`);
      return reqs.map((r) => pos(r.ids, r.topK));
    };
    const m = withBatching(inner, { isolate: (e) => /context length/.test(String(e)) });
    const got = await Promise.all([
      m.scoreTokens!([1, 2, 3], 4),
      m.scoreTokens!([4, 5], 7),
      m.scoreTokens!([1, 2, 3, 4, 5, 6], 4).catch((e: Error) => e.message),
      m.scoreTokensBatch!([{ ids: [9, 8], topK: 2 }]),
    ]);
    expect(got[0]).toEqual(pos([1, 2, 3], 4));
    expect(got[1]).toEqual(pos([4, 5], 7));
    expect(got[2]).toBe("6 tokens exceed the model's context length 5");
    expect(got[3]).toEqual([pos([9, 8], 2)]);
    // one merged call, which failed; then halves until the failing request was alone
    expect(inner.log[0]).toEqual({ kind: "scoreTokensBatch", prompts: ["1,2,3", "4,5", "1,2,3,4,5,6", "9,8"] });
    expect(inner.log.filter((l) => l.kind === "scoreTokens")).toEqual([]);
    expect(inner.log.at(-1)!.prompts).toEqual(["9,8"]);
    expect(m.stats.splits).toBeGreaterThan(0);
  });
});
