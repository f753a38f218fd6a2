/**
 * Whole-vocabulary positions (builtin scoreTokens with topK ≥ the vocabulary: `top` built
 * on first read, the numbers also as typed arrays in a non-enumerable `vocabulary`) and the
 * request cache: stored, they read back with the same `top` and no typed arrays, and
 * drift's KL is the same bits on the copy; withCache passes such a request through.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openRequestCache, requestKey, withCache, type RequestCache } from "../../../src/backends/cache/index.js";
import { openModel, type PositionScore } from "../../../src/backends/index.js";
import { positionKl } from "../../../src/probes/drift.js";
import { tasks } from "../../../src/world/index.js";
import { useTempDirs } from "./helpers.js";

const tempDir = useTempDirs();
const open: RequestCache[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

const text = tasks.knowledge.documents({ config: tasks.knowledge.defaults, seed: 1, n: 1 })[0];

describe("whole-vocabulary positions in the request cache", () => {
  it("store and read back with the same top, no typed arrays, and the same KL", async () => {
    const cache = openRequestCache(join(tempDir(), "cache.sqlite"));
    open.push(cache);
    const ref = await openModel("builtin:zoo/base-s");
    const tuned = await openModel("builtin:zoo/base-m");
    const V = ref.vocab!.size;
    const ids = ref.vocab!.encodePrompt(text).slice(0, 60);
    const r = await ref.scoreTokens!(ids, V);
    const g = await tuned.scoreTokens!(ids, V);
    const key = requestKey(ref.id, "scoreTokens", { ids, topK: V });
    cache.put([{ key, kind: "scoreTokens", modelId: ref.id, request: { ids, topK: V }, response: r }]);
    const back = cache.get(key)!.response as PositionScore[];
    expect(back).toHaveLength(r.length);
    back.forEach((p, t) => {
      expect(p.vocabulary).toBeUndefined();
      expect(p).toStrictEqual({ id: r[t].id, token: r[t].token, logprob: r[t].logprob, top: r[t].top });
      expect(positionKl(p, g[t])).toBe(positionKl(r[t], g[t]));
    });
    await ref.close();
    await tuned.close();
  });

  it("withCache passes a whole-vocabulary request through, typed arrays and all; a top-20 one is cached", async () => {
    const cache = openRequestCache(join(tempDir(), "cache.sqlite"));
    open.push(cache);
    const model = withCache(await openModel("builtin:zoo/base-s"), cache);
    const V = model.vocab!.size;
    const ids = model.vocab!.encodePrompt(text).slice(0, 30);
    const [whole] = await model.scoreTokens!(ids, V);
    expect(whole.vocabulary?.logprobs).toHaveLength(V);
    const first = await model.scoreTokens!(ids, 20);
    const again = await model.scoreTokens!(ids, 20);
    expect(again).toStrictEqual(first);
    expect(model.stats).toEqual({ hits: 1, misses: 1, bypassed: 1 });
    await model.close();
  });
});
