/** Partial reversion: θ₀ + α·Δ, exact at α = 0 and 1, with modules or layers kept at θ₀. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../src/formats/index.js";
import { closeAll, formatWeightsError, isReverted, openAllWeights, parseRevert, revertText, scaleDelta, writeScaledModel } from "../../src/weights/index.js";
import { saveModel, seededParams, slot, tempDir, TINY } from "./models.js";

describe("scaleDelta", () => {
  it("is θ₀ + α·Δ, and bit-exact θ₀ / θ₁ at α = 0 / 1", () => {
    const t0 = Float32Array.from([0.1, -0.3, 0.7]);
    const t1 = Float32Array.from([0.2, 0.3, 0.1 + 0.2]);
    expect(Array.from(scaleDelta(t0, t1, 0.5))).toEqual(Array.from(Float32Array.from([0.15, 0, 0.7 + 0.5 * (Math.fround(0.1 + 0.2) - Math.fround(0.7))])));
    expect(scaleDelta(t0, t1, 0)).toEqual(t0);
    expect(scaleDelta(t0, t1, 1)).toEqual(t1);
    expect(scaleDelta(t0, t1, -1)[0]).toBeCloseTo(0, 6);
  });
});

describe("--revert", () => {
  it("parses groups and layer ranges, and refuses anything else", () => {
    const r = parseRevert("mlp, layers:0-1,layers:3");
    expect(r).toEqual({ ok: true, value: { groups: ["mlp"], layers: [[0, 1], [3, 3]] } });
    if (r.ok) expect(revertText(r.value)).toBe("mlp,layers:0-1,layers:3");
    expect(parseRevert("layers:3-1")).toMatchObject({ ok: false, error: expect.stringMatching(/ends before it starts/) });
    expect(parseRevert("ffn")).toMatchObject({ ok: false, error: expect.stringMatching(/expected attn, mlp, norm, embed or layers:A-B/) });
  });

  it("selects by module group and by layer", () => {
    const spec = { groups: ["mlp" as const], layers: [[1, 1] as [number, number]] };
    expect(isReverted("model.layers.0.mlp.up_proj.weight", spec)).toBe(true);
    expect(isReverted("model.layers.0.self_attn.q_proj.weight", spec)).toBe(false);
    expect(isReverted("model.layers.1.self_attn.q_proj.weight", spec)).toBe(true);
    expect(isReverted("model.embed_tokens.weight", spec)).toBe(false);
  });
});

describe("writeScaledModel", () => {
  it("writes θ₀ + α·Δ with the reverted tensors at θ₀, as a loadable folder", async () => {
    const dir = await tempDir("scale");
    const p0 = seededParams(TINY, 1);
    const p1 = seededParams(TINY, 2);
    await saveModel(join(dir, "base"), p0);
    await saveModel(join(dir, "tuned"), p1);
    const opened = await openAllWeights([join(dir, "base"), join(dir, "tuned")]);
    if (!opened.ok) throw new Error(formatWeightsError(opened.error));
    const r = await writeScaledModel({ base: opened.value[0], tuned: opened.value[1], alpha: 0.5, revert: { groups: ["mlp"], layers: [] }, out: join(dir, "half") });
    await closeAll(opened.value);
    if (!r.ok) throw new Error(formatWeightsError(r.error));
    expect(r.value.reverted).toBe(3 * TINY.nLayers);
    const ck = await loadCheckpoint(join(dir, "half"));
    if (!ck.ok) throw new Error("load");
    const q = slot(TINY, "model.layers.1.self_attn.q_proj.weight");
    const up = slot(TINY, "model.layers.1.mlp.up_proj.weight");
    expect(ck.value.params[q.offset]).toBeCloseTo(p0[q.offset] + 0.5 * (p1[q.offset] - p0[q.offset]), 6);
    expect(ck.value.params[up.offset]).toBe(p0[up.offset]);
  });
});
