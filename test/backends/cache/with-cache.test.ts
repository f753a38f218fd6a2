import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CACHED_TOP_K_MAX, openRequestCache, requestKey, withCache, type RequestCache } from "../../../src/backends/cache/index.js";
import type { GenerateRequest, ScoreRequest } from "../../../src/backends/language-model.js";
import { createFakeModel } from "./fake-model.js";
import { useTempDirs } from "./helpers.js";

const tempDir = useTempDirs();
const open: RequestCache[] = [];
function freshCache(): RequestCache {
  const c = openRequestCache(join(tempDir(), "nested", "dir", "cache.sqlite"));
  open.push(c);
  return c;
}
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

describe("withCache", () => {
  it("keeps the inner model's id and vocab, and its optional methods only when present", () => {
    const inner = createFakeModel("fake:x");
    const cached = withCache(inner, freshCache());
    expect(cached.id).toBe("fake:x");
    expect(cached.vocab).toBe(inner.vocab);
    expect(typeof cached.nextTokenLogprobs).toBe("function");
    const { nextTokenLogprobs: _n, scoreTokens: _s, ...bare } = createFakeModel("fake:bare");
    const cachedBare = withCache(bare, freshCache());
    expect(cachedBare.nextTokenLogprobs).toBeUndefined();
    expect(cachedBare.scoreTokens).toBeUndefined();
  });

  it("answers a repeated score from the cache, identical, without calling the model", async () => {
    const inner = createFakeModel();
    const cached = withCache(inner, freshCache());
    const req: ScoreRequest = { prompt: "2+2=", continuation: " 4" };
    const first = await cached.score(req);
    const second = await cached.score(req);
    expect(inner.calls.score).toBe(1);
    expect(second).toStrictEqual(first);
    expect(cached.stats).toEqual({ hits: 1, misses: 1, bypassed: 0 });
  });

  it("persists across cache handles (a new process sees old answers)", async () => {
    const dir = tempDir();
    const path = join(dir, "c.sqlite");
    const a = openRequestCache(path);
    const inner = createFakeModel();
    const first = await withCache(inner, a).score({ prompt: "p", continuation: "c" });
    a.close();
    const b = openRequestCache(path);
    open.push(b);
    const again = await withCache(inner, b).score({ prompt: "p", continuation: "c" });
    expect(again).toStrictEqual(first);
    expect(inner.calls.score).toBe(1);
  });

  it("keys on meaning, not property order or undefined fields", async () => {
    const inner = createFakeModel();
    const cached = withCache(inner, freshCache());
    await cached.generate({ prompt: "hi", maxTokens: 8, temperature: 0, stop: ["\n"] });
    const reordered = JSON.parse('{"stop":["\\n"],"temperature":0,"maxTokens":8,"prompt":"hi"}') as GenerateRequest;
    await cached.generate(reordered);
    await cached.generate({ stop: ["\n"], temperature: 0, seed: undefined, maxTokens: 8, prompt: "hi", topP: undefined });
    expect(inner.calls.generate).toBe(1);
    expect(requestKey("m", "score", { prompt: "a", continuation: "b" })).toBe(requestKey("m", "score", { continuation: "b", prompt: "a" }));
    // ...but a different value, or a different array order, is a different request.
    await cached.generate({ prompt: "hi", maxTokens: 9, temperature: 0, stop: ["\n"] });
    expect(inner.calls.generate).toBe(2);
    expect(requestKey("m", "generate", { stop: ["a", "b"] })).not.toBe(requestKey("m", "generate", { stop: ["b", "a"] }));
  });

  it("never caches unseeded sampling; caches seeded and greedy generation", async () => {
    const inner = createFakeModel();
    const cache = freshCache();
    const cached = withCache(inner, cache);
    const unseeded: GenerateRequest = { prompt: "once upon", maxTokens: 4, temperature: 0.8 };
    const defaultTemp: GenerateRequest = { prompt: "once upon", maxTokens: 4 }; // temperature defaults to 1
    const a = await cached.generate(unseeded);
    const b = await cached.generate(unseeded);
    await cached.generate(defaultTemp);
    expect(inner.calls.generate).toBe(3);
    expect(a.samples[0].text).not.toBe(b.samples[0].text);
    expect(cache.size()).toBe(0);

    const seeded: GenerateRequest = { prompt: "once upon", maxTokens: 4, temperature: 0.8, seed: 42 };
    const greedy: GenerateRequest = { prompt: "once upon", maxTokens: 4, temperature: 0 };
    const s1 = await cached.generate(seeded);
    const g1 = await cached.generate(greedy);
    expect(await cached.generate(seeded)).toStrictEqual(s1);
    expect(await cached.generate(greedy)).toStrictEqual(g1);
    expect(await cached.generate({ ...seeded, seed: 43 })).not.toStrictEqual(s1);
    expect(inner.calls.generate).toBe(6);
    expect(cache.size()).toBe(3);
    expect(cached.stats).toEqual({ hits: 2, misses: 3, bypassed: 3 });
  });

  it("a batch with partial hits sends only the misses, in one call, and keeps the order", async () => {
    const inner = createFakeModel();
    const cached = withCache(inner, freshCache());
    const reqs: ScoreRequest[] = ["a", "b", "c", "d", "e"].map((c) => ({ prompt: "q:", continuation: c }));
    await cached.score(reqs[1]);
    await cached.scoreBatch([reqs[3]]);
    inner.calls.received.length = 0;
    const got = await cached.scoreBatch(reqs);
    expect(inner.calls.scoreBatch).toBe(2);
    expect(inner.calls.received).toEqual([reqs[0], reqs[2], reqs[4]]);
    const direct = createFakeModel();
    expect(got).toStrictEqual(await direct.scoreBatch(reqs));
    // All hits: no inner call at all.
    await cached.scoreBatch(reqs);
    expect(inner.calls.scoreBatch).toBe(2);
  });

  it("a generate batch mixes hits, misses and unseeded items: one inner call, order kept, only cacheable stored", async () => {
    const inner = createFakeModel();
    const cache = freshCache();
    const cached = withCache(inner, cache);
    const greedy: GenerateRequest = { prompt: "g", maxTokens: 2, temperature: 0 };
    const seeded: GenerateRequest = { prompt: "s", maxTokens: 2, seed: 1 };
    const unseeded: GenerateRequest = { prompt: "u", maxTokens: 2 };
    await cached.generate(greedy);
    inner.calls.received.length = 0;
    const out = await cached.generateBatch([unseeded, greedy, seeded, seeded, unseeded]);
    expect(inner.calls.generateBatch).toBe(1);
    // the identical seeded items are sent once; the two unseeded ones both go
    expect(inner.calls.received).toEqual([unseeded, seeded, unseeded]);
    expect(out.map((g) => g.samples[0].text.split(")")[0])).toEqual(["gen(u, t=1, seed=-", "gen(g, t=0, seed=-", "gen(s, t=1, seed=1", "gen(s, t=1, seed=1", "gen(u, t=1, seed=-"]);
    expect(out[2]).toStrictEqual(out[3]);
    expect(out[2]).not.toBe(out[3]);
    expect(out[0].samples[0].text).not.toBe(out[4].samples[0].text);
    expect(cache.size()).toBe(2);
    expect(cached.stats).toEqual({ hits: 2, misses: 2, bypassed: 2 });
    // batch items share keys with single calls
    await cached.generate(seeded);
    expect(inner.calls.generate).toBe(1);
  });

  it("stores nothing when the inner call fails; the next call goes to the model again", async () => {
    const inner = createFakeModel();
    const cache = freshCache();
    const cached = withCache(inner, cache);
    const req: ScoreRequest = { prompt: "x", continuation: "y" };
    inner.failNext("server exploded");
    await expect(cached.score(req)).rejects.toThrow("server exploded");
    expect(cache.size()).toBe(0);
    await cached.score(req);
    expect(inner.calls.score).toBe(2);
    expect(cache.size()).toBe(1);

    const batch: ScoreRequest[] = [{ prompt: "x", continuation: "y" }, { prompt: "x", continuation: "z" }];
    inner.failNext("batch exploded");
    await expect(cached.scoreBatch(batch)).rejects.toThrow("batch exploded");
    expect(cache.size()).toBe(1);
    inner.calls.received.length = 0;
    await cached.scoreBatch(batch);
    expect(inner.calls.received).toEqual([batch[1]]);
    expect(cache.size()).toBe(2);
  });

  it("refuses a batch answer of the wrong length and stores nothing", async () => {
    const inner = createFakeModel();
    inner.scoreBatch = async () => [];
    const cache = freshCache();
    await expect(withCache(inner, cache).scoreBatch([{ prompt: "a", continuation: "b" }])).rejects.toThrow(/returned 0 answer/);
    expect(cache.size()).toBe(0);
  });

  it("different model ids sharing one cache do not collide", async () => {
    const cache = freshCache();
    const base = createFakeModel("fake:base");
    const tuned = createFakeModel("fake:tuned");
    tuned.score = async (req) => {
      tuned.calls.score++;
      return { logprob: -99, isGreedy: false, tokens: [{ token: req.continuation, logprob: -99, isGreedy: false }] };
    };
    const req: ScoreRequest = { prompt: "p", continuation: "c" };
    const b = await withCache(base, cache).score(req);
    const t = await withCache(tuned, cache).score(req);
    expect(tuned.calls.score).toBe(1);
    expect(t.logprob).toBe(-99);
    expect(await withCache(base, cache).score(req)).toStrictEqual(b);
    expect(await withCache(tuned, cache).score(req)).toStrictEqual(t);
    expect(base.calls.score).toBe(1);
    expect(tuned.calls.score).toBe(1);
    expect(cache.size()).toBe(2);
  });

  it("passes scoreTokens with a top-k above CACHED_TOP_K_MAX through (full distributions cost more to store than to recompute)", async () => {
    const inner = createFakeModel("fake:wide");
    const cached = withCache(inner, freshCache());
    await cached.scoreTokens!([5, 6, 7], CACHED_TOP_K_MAX + 1);
    await cached.scoreTokens!([5, 6, 7], CACHED_TOP_K_MAX + 1);
    expect(inner.calls.scoreTokens).toBe(2);
    expect(cached.stats).toMatchObject({ hits: 0, misses: 0, bypassed: 2 });
  });

  it("caches nextTokenLogprobs (keeping -Infinity) and scoreTokens, keyed on their arguments", async () => {
    const inner = createFakeModel();
    const cached = withCache(inner, freshCache());
    const full = await cached.nextTokenLogprobs!([1, 2, 3]);
    expect(full.entries[1].logprob).toBe(Number.NEGATIVE_INFINITY);
    expect(await cached.nextTokenLogprobs!([1, 2, 3])).toStrictEqual(full);
    await cached.nextTokenLogprobs!([1, 2, 3], 1);
    await cached.nextTokenLogprobs!([1, 2, 4]);
    expect(inner.calls.nextTokenLogprobs).toBe(3);

    const pos = await cached.scoreTokens!([5, 6, 7], 2);
    expect(await cached.scoreTokens!([5, 6, 7], 2)).toStrictEqual(pos);
    await cached.scoreTokens!([5, 6, 7], 3);
    expect(inner.calls.scoreTokens).toBe(2);
    // a score request with the same fields is a different kind: no cross-talk
    expect(requestKey("m", "scoreTokens", { ids: [1], topK: 1 })).not.toBe(requestKey("m", "nextTokenLogprobs", { ids: [1], topK: 1 }));
  });

  it("scoreTokensBatch: each item keyed as the single request; uncacheable top-k passed through; misses sent in one call", async () => {
    const inner = createFakeModel();
    const batches: number[][][] = [];
    inner.scoreTokensBatch = async (reqs) => {
      batches.push(reqs.map((r) => [...r.ids]));
      return Promise.all(reqs.map((r) => inner.scoreTokens!(r.ids, r.topK)));
    };
    const cached = withCache(inner, freshCache());
    const one = await cached.scoreTokens!([5, 6, 7], 2);
    const wide = CACHED_TOP_K_MAX + 1;
    const got = await cached.scoreTokensBatch!([
      { ids: [5, 6, 7], topK: 2 }, // cached by the single call
      { ids: [1, 2, 3], topK: 2 },
      { ids: [1, 2, 3], topK: 2 }, // the same item: sent once
      { ids: [8, 9], topK: wide },
    ]);
    expect(got[0]).toStrictEqual(one);
    expect(got[2]).toStrictEqual(got[1]);
    expect(got[3]).toStrictEqual(await inner.scoreTokens!([8, 9], wide));
    expect(batches).toEqual([[[1, 2, 3], [8, 9]]]);
    // and the single call finds what the batch stored
    const before = inner.calls.scoreTokens;
    expect(await cached.scoreTokens!([1, 2, 3], 2)).toStrictEqual(got[1]);
    expect(inner.calls.scoreTokens).toBe(before);
    expect(withCache(createFakeModel(), freshCache()).scoreTokensBatch).toBeUndefined();
  });

  it("close() closes the inner model and leaves the shared cache open", async () => {
    const inner = createFakeModel();
    let closed = 0;
    inner.close = async () => {
      closed++;
    };
    const cache = freshCache();
    const cached = withCache(inner, cache);
    await cached.close();
    expect(closed).toBe(1);
    expect(cache.size()).toBe(0);
  });
});
