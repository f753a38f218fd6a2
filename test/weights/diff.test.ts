/**
 * `diff`: the streaming driver on tiny folders with planted changes — where the change is,
 * its size, aggregation by layer and module, dtypes and shards, the core-region overlap of
 * several fine-tunes, and the errors for models that do not match.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { closeAll, diffLines, diffWeights, formatWeightsError, openAllWeights, type DiffOptions, type DiffResult } from "../../src/weights/index.js";
import { saveModel, seededParams, slot, tempDir, TINY } from "./models.js";

const dir = await tempDir("diff");
const base = seededParams(TINY, 1);
await saveModel(join(dir, "base"), base);

const DOWN1 = "model.layers.1.mlp.down_proj.weight";
const Q0 = "model.layers.0.self_attn.q_proj.weight";

/** A copy of the base with `add` added to entries [from, from + count) of `tensor`. */
function planted(tensor: string, from: number, count: number, add: number, params = base): Float32Array {
  const p = params.slice();
  const s = slot(TINY, tensor);
  for (let i = from; i < from + count; i++) p[s.offset + i] += add;
  return p;
}

async function diffOf(names: string[], opts: DiffOptions = {}): Promise<DiffResult> {
  const opened = await openAllWeights([join(dir, "base"), ...names.map((n) => join(dir, n))]);
  if (!opened.ok) throw new Error(formatWeightsError(opened.error));
  try {
    const r = await diffWeights(opened.value[0], opened.value.slice(1), opts);
    if (!r.ok) throw new Error(formatWeightsError(r.error));
    return r.value;
  } finally {
    await closeAll(opened.value);
  }
}

describe("diff of one fine-tune", () => {
  it("finds the one tensor that changed, by the amount planted", async () => {
    await saveModel(join(dir, "down"), planted(DOWN1, 0, 10, 0.1));
    const d = await diffOf(["down"]);
    const t = d.tuned[0];
    const changed = t.tensors.filter((x) => x.stats.deltaNorm > 0).map((x) => x.name);
    expect(changed).toEqual([DOWN1]);
    const down = t.tensors.find((x) => x.name === DOWN1)!;
    expect(down.stats.deltaNorm).toBeCloseTo(Math.sqrt(10 * 0.01), 5);
    expect(down.stats.unchanged).toBeCloseTo(1 - 10 / slot(TINY, DOWN1).length, 12);
    // a rank-1-like update on 10 entries of one row: stable rank 1
    expect(down.stableRank).toBeCloseTo(1, 5);
    expect(t.total.stats.deltaNorm).toBeCloseTo(down.stats.deltaNorm, 6);
    expect(t.total.stats.numel).toBe(base.length);
    const group = t.byLayerModule.find((g) => g.layer === 1 && g.module === "down")!;
    expect(group.stats.deltaNorm).toBeCloseTo(down.stats.deltaNorm, 6);
    expect(t.byModule.find((g) => g.module === "q")!.stats.deltaNorm).toBe(0);
    expect(t.byLayer.map((g) => g.layer)).toEqual([null, 0, 1]);
    expect(d.overlap).toBeNull();
    expect(diffLines(d).join("\n")).toContain(DOWN1);
  });

  it("sums groups from squares, not by averaging ratios", async () => {
    await saveModel(join(dir, "two"), planted(Q0, 0, 4, 0.2, planted(DOWN1, 0, 9, 0.1)));
    const d = await diffOf(["two"]);
    const t = d.tuned[0];
    // ‖Δ‖² adds: 4·0.04 + 9·0.01
    expect(t.total.stats.deltaNorm).toBeCloseTo(Math.sqrt(4 * 0.04 + 9 * 0.01), 5);
    const q = t.tensors.find((x) => x.name === Q0)!;
    const rel = t.byLayer.find((g) => g.layer === 0)!.stats.relative!;
    expect(rel).toBeLessThan(q.stats.relative!); // layer 0 holds more weight than q alone
  });

  it("reads bf16 and sharded tuned models against an f32 base", async () => {
    await saveModel(join(dir, "bf16"), base, { dtype: "BF16", maxShardBytes: 4096 });
    const d = await diffOf(["bf16"]);
    const t = d.tuned[0];
    expect(t.tensors.length).toBe(slotCount());
    // bf16 keeps 8 significant bits: every entry moves by at most 2^-8 relative
    expect(t.total.stats.relative!).toBeGreaterThan(0);
    expect(t.total.stats.relative!).toBeLessThan(2 ** -8);
    expect(t.total.stats.cosine!).toBeGreaterThan(0.9999);
  });

  it("is deterministic for a seed and skips spectra with rank none", async () => {
    const a = await diffOf(["down"], { seed: 3 });
    const b = await diffOf(["down"], { seed: 3 });
    expect(a).toEqual(b);
    const none = await diffOf(["down"], { rank: "none" });
    expect(none.tuned[0].tensors.every((x) => x.stableRank === null && x.effectiveRank === null)).toBe(true);
  });
});

describe("core-region overlap of several fine-tunes", () => {
  it("is 1 where two fine-tunes change the same entries and 0 where they change different ones", async () => {
    const n = slot(TINY, DOWN1).length; // 16 × 24 = 384; 1% → 4 entries
    await saveModel(join(dir, "a"), planted(DOWN1, 0, 4, 0.3));
    await saveModel(join(dir, "b"), planted(DOWN1, 0, 4, -0.2));
    await saveModel(join(dir, "c"), planted(DOWN1, n - 4, 4, 0.3));
    const d = await diffOf(["a", "b", "c"], { rank: "none" });
    const o = d.overlap!;
    expect(o.labels).toHaveLength(3);
    expect(o.overall[0][1]).toBe(1);
    expect(o.overall[0][2]).toBe(0);
    expect(o.overall[1][2]).toBe(0);
    // tensors nobody changed contribute nothing (no spurious overlap from untouched weights)
    const layer0 = o.byLayer.find((l) => l.layer === 0)!;
    expect(layer0.jaccard[0][1]).toBeNull();
    expect(o.clusters.find((c) => c.length === 2)?.sort()).toEqual([join(dir, "a"), join(dir, "b")].sort());
    expect(diffLines(d).join("\n")).toMatch(/core regions \(top 1\.0% of \|τ\| per tensor\)/);
  });
});

describe("models that do not match", () => {
  it("names the tensor whose shape differs", async () => {
    await saveModel(join(dir, "wide"), seededParams({ ...TINY, vocabSize: 120 }, 2), { config: { ...TINY, vocabSize: 120 } });
    const opened = await openAllWeights([join(dir, "base"), join(dir, "wide")]);
    if (!opened.ok) throw new Error("open");
    const r = await diffWeights(opened.value[0], [opened.value[1]]);
    await closeAll(opened.value);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe("shape_differs");
    expect(formatWeightsError(r.error)).toMatch(/tensor "model\.embed_tokens\.weight" has shape \[112, 16\] in .*base but \[120, 16\] in .*wide/);
  });

  it("names a tensor one model lacks", async () => {
    const tiedConfig = { ...TINY, tiedEmbeddings: true };
    await saveModel(join(dir, "tied"), seededParams(tiedConfig, 2), { config: tiedConfig });
    const opened = await openAllWeights([join(dir, "base"), join(dir, "tied")]);
    if (!opened.ok) throw new Error("open");
    const r = await diffWeights(opened.value[0], [opened.value[1]]);
    await closeAll(opened.value);
    expect(!r.ok && formatWeightsError(r.error)).toMatch(/tensor "lm_head\.weight" is in .*base but not in .*tied/);
  });

  it("names a missing folder and a model spec that cannot be read tensor by tensor", async () => {
    const r = await openAllWeights([join(dir, "nope")]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatWeightsError(r.error)).toMatch(/nope: no such folder/);
    const g = await openAllWeights(["gguf:model.gguf"]);
    expect(!g.ok && formatWeightsError(g.error)).toMatch(/gguf: models cannot be read tensor by tensor/);
  });
});

function slotCount(): number {
  return 2 + 9 * TINY.nLayers + (TINY.tiedEmbeddings ? 0 : 1);
}
