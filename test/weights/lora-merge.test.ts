/**
 * Merge-and-unload of a LoRA adapter: W ← W + s·(alpha/r)·B A on exactly the targeted
 * weights, the merged layer computing what the unmerged adapter computes, and the streamed
 * folder equal to the in-memory merge.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { baseWeightName, loadCheckpoint, openSafetensorsModel } from "../../src/formats/index.js";
import { viewParameters } from "../../src/model/index.js";
import { createRng } from "../../src/random/index.js";
import { addLowRank, closeAll, formatWeightsError, mergeLora, openModelWeights, writeLoraMerged } from "../../src/weights/index.js";
import { randomAdapter } from "../formats/lora-fixtures.js";
import { saveModel, seededParams, tempDir, TINY } from "./models.js";

const adapter = randomAdapter(TINY, { seed: 3, r: 3, alpha: 6, targets: ["q_proj", "k_proj", "o_proj", "up_proj", "down_proj"] });

describe("mergeLora", () => {
  it("adds c·B A with each entry summed in float64 and rounded once", () => {
    const rng = createRng(1);
    const [out, inp, r] = [5, 7, 3];
    const W = Float32Array.from({ length: out * inp }, () => rng.normal());
    const A = Float32Array.from({ length: r * inp }, () => rng.normal());
    const B = Float32Array.from({ length: out * r }, () => rng.normal());
    const merged = W.slice();
    addLowRank(merged, { A, B }, 0.75, r);
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < inp; i++) {
        let ba = 0;
        for (let k = 0; k < r; k++) ba += B[o * r + k] * A[k * inp + i];
        expect(merged[o * inp + i]).toBe(Math.fround(W[o * inp + i] + 0.75 * ba));
      }
    }
  });

  it("changes exactly the targeted weights; the merged layer computes x Wᵀ + s(x Aᵀ)Bᵀ", () => {
    const base = seededParams(TINY, 1);
    const flat = base.slice();
    const views = viewParameters(TINY, flat);
    const changed = mergeLora(views.byName, adapter, 0.5);
    expect(changed).toHaveLength(TINY.nLayers * 5);
    const before = viewParameters(TINY, base);
    for (const [name, w] of views.byName) {
      const same = w.every((v, i) => v === before.byName.get(name)![i]);
      expect(same, name).toBe(!changed.includes(name));
    }
    // layer 1's k_proj (GQA: out 8, in 16) on a random input row
    const { A, B } = adapter.layers[1].k_proj!;
    const W0 = before.byName.get(baseWeightName(1, "k_proj"))!;
    const W1 = views.byName.get(baseWeightName(1, "k_proj"))!;
    const rng = createRng(5);
    const x = Array.from({ length: 16 }, () => rng.normal());
    const s = 0.5 * (6 / 3);
    const xa = [0, 1, 2].map((k) => x.reduce((acc, xi, i) => acc + xi * A[k * 16 + i], 0));
    for (let o = 0; o < 8; o++) {
      const merged = x.reduce((acc, xi, i) => acc + xi * W1[o * 16 + i], 0);
      const unmerged = x.reduce((acc, xi, i) => acc + xi * W0[o * 16 + i], 0) + s * xa.reduce((acc, v, k) => acc + v * B[o * 3 + k], 0);
      expect(Math.abs(merged - unmerged)).toBeLessThan(1e-5);
    }
  });

  it("scale 0 is the base bit for bit", () => {
    const flat = seededParams(TINY, 1);
    const copy = flat.slice();
    mergeLora(viewParameters(TINY, copy).byName, adapter, 0);
    expect(copy).toEqual(flat);
  });
});

describe("writeLoraMerged", () => {
  it("streams the same weights as the in-memory merge, keeping the base's dtype", async () => {
    const dir = await tempDir("lora");
    const params = seededParams(TINY, 2);
    await saveModel(join(dir, "base"), params);
    await saveModel(join(dir, "base16"), params, { dtype: "BF16" });
    const expected = params.slice();
    mergeLora(viewParameters(TINY, expected).byName, adapter, 1);

    const base = await openModelWeights(join(dir, "base"));
    if (!base.ok) throw new Error(formatWeightsError(base.error));
    const r = await writeLoraMerged({ base: base.value, adapter, adapterDir: join(dir, "adapter"), scale: 1, out: join(dir, "merged") });
    await closeAll([base.value]);
    if (!r.ok) throw new Error(formatWeightsError(r.error));
    expect(r.value.merged).toBe(TINY.nLayers * 5);
    const back = await loadCheckpoint(join(dir, "merged"));
    expect(back.ok && back.value.params).toEqual(expected);

    const b16 = await openModelWeights(join(dir, "base16"));
    if (!b16.ok) throw new Error(formatWeightsError(b16.error));
    const r16 = await writeLoraMerged({ base: b16.value, adapter, adapterDir: join(dir, "adapter"), scale: 1, out: join(dir, "merged16") });
    await closeAll([b16.value]);
    expect(r16.ok).toBe(true);
    const src = await openSafetensorsModel(join(dir, "merged16"));
    if (!src.ok) throw new Error("no merged16");
    expect(src.value.info(baseWeightName(0, "q_proj"))?.dtype).toBe("BF16");
    await src.value.close();
  });

  it("refuses to write over a folder ftledger did not write", async () => {
    const dir = await tempDir("lora-out");
    await saveModel(join(dir, "base"), seededParams(TINY, 2));
    const base = await openModelWeights(join(dir, "base"));
    if (!base.ok) throw new Error("no base");
    const r = await writeLoraMerged({ base: base.value, adapter, adapterDir: "a", scale: 1, out: join(dir, "base") });
    await closeAll([base.value]);
    expect(!r.ok && formatWeightsError(r.error)).toMatch(/it is one of the input models/);
  });
});
