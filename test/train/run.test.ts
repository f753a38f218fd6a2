/**
 * Lab runs on disk: a killed run resumes to the same loss curve as an uninterrupted
 * one, and a non-finite loss stops training with the last good checkpoint kept.
 */
import type { BatchSource } from "../../src/train/index.js";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { loadCheckpoint, saveCheckpoint } from "../../src/formats/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama } from "../../src/model/index.js";
import { latestCheckpoint } from "../../src/formats/index.js";
import { recipes, runLab, train, type Recipe } from "../../src/train/index.js";

const kernels = createTsKernels();
// the toy recipe, made smaller so the test is quick
const tiny: Recipe = {
  ...recipes.toy,
  defaults: { ...recipes.toy.defaults, batchSize: 4 },
  model: (tok) => ({ ...recipes.toy.model(tok), dim: 32, ffnDim: 64, nLayers: 1, contextLength: 32 }),
};

describe("lab runs", () => {
  it("resumes a killed run to the identical loss curve", async () => {
    const root = await mkdtemp(join(tmpdir(), "ftledger-run-"));
    const full = await runLab({ recipe: tiny, dir: join(root, "a"), kernels, seed: 3, steps: 30, checkpointEvery: 10 });
    expect(full.ok).toBe(true);
    // run b is "killed" during step 25, after its step-20 checkpoint
    const killed = runLab({
      recipe: tiny, dir: join(root, "b"), kernels, seed: 3, steps: 30, checkpointEvery: 10,
      onStep: (s) => {
        if (s.step === 25) throw new Error("killed");
      },
    });
    await expect(killed).rejects.toThrow("killed");
    expect(await latestCheckpoint(join(root, "b"))).toMatch(/step-000020$/);
    const other = await runLab({ recipe: tiny, dir: join(root, "b"), kernels, seed: 3, steps: 40, resume: true });
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.message).toMatch(/planned for 30 steps/);
    // no --steps on resume: the run's own plan (30 steps) applies
    const resumed = await runLab({ recipe: tiny, dir: join(root, "b"), kernels, seed: 3, checkpointEvery: 10, resume: true });
    if (!resumed.ok || !full.ok) throw new Error("run failed");
    expect(resumed.resumedFrom).toBe(20);
    expect(resumed.losses).toEqual(full.losses);
    const a = await loadCheckpoint(full.checkpoint);
    const b = await loadCheckpoint(resumed.checkpoint);
    if (!a.ok || !b.ok) throw new Error("checkpoint failed to load");
    expect(Buffer.from(b.value.params.buffer).equals(Buffer.from(a.value.params.buffer))).toBe(true);
    // only the newest two checkpoints are kept
    expect(await readdir(join(root, "b", "checkpoints"))).toEqual(["step-000020", "step-000030"]);
  });

  it("stops on a bad batch with a clear message and keeps the last good checkpoint", async () => {
    const root = await mkdtemp(join(tmpdir(), "ftledger-nan-"));
    // data that goes bad at update 15 (0-based step 14): a NaN loss weight makes the loss NaN
    const poisoned: Recipe = {
      ...tiny,
      data: (a) => {
        const src = tiny.data(a) as BatchSource;
        return {
          batch(step) {
            const b = src.batch(step);
            if (step !== 14) return b;
            const mask = new Float32Array(b.B * b.T).fill(1);
            mask[3] = NaN;
            return { ...b, mask };
          },
        };
      },
    };
    const r = await runLab({ recipe: poisoned, dir: join(root, "x"), kernels, seed: 4, steps: 30, checkpointEvery: 10 });
    if (r.ok) throw new Error("expected the run to stop");
    expect(r.error?.code).toBe("bad_batch");
    expect(r.error?.step).toBe(15);
    expect(r.message).toMatch(/batch for step 15 is unusable: loss mask entry 3 is NaN.*last checkpoint \(step 10\) is kept/);
    expect(r.checkpoint).toMatch(/step-000010$/);
    expect(await latestCheckpoint(join(root, "x"))).toMatch(/step-000010$/);
    const ck = await loadCheckpoint(r.checkpoint!);
    if (!ck.ok) throw new Error("checkpoint failed to load");
    expect(ck.value.params.every(Number.isFinite)).toBe(true);
  });

  it("stops on a non-finite loss before updating, keeping the last good checkpoint", async () => {
    const root = await mkdtemp(join(tmpdir(), "ftledger-nonfinite-"));
    const tok = new CharTokenizer();
    const config = tiny.model(tok);
    const model = Llama.f32(config, kernels);
    model.initialize(createRng(5));
    const data = tiny.data({ tokenizer: tok, config, batchSize: 4, seed: 5 });
    const saved: number[] = [];
    let before: Float32Array | null = null;
    const r = await train(model, data, {
      steps: 30, schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 2, totalSteps: 30 }, checkpointEvery: 10,
      saveCheckpoint: async (s) => {
        const w = await saveCheckpoint(join(root, `step-${s.step}`), { config, params: model.params.flat, tokenizer: tok });
        if (!w.ok) throw new Error("save failed");
        saved.push(s.step);
      },
      onStep: (s) => {
        // a weight goes bad after update 14 (as an overflow would); update 15 must not happen
        if (s.step === 14) {
          model.params.layers[0].wUp[5] = Infinity;
          before = Float32Array.from(model.params.flat);
        }
      },
    });
    if (r.ok) throw new Error("expected training to stop");
    expect(r.error.code).toBe("non_finite");
    expect(r.error.step).toBe(15);
    expect(r.error.message).toMatch(/step 15.*weights were not updated; the last checkpoint \(step 10\) is kept/);
    expect(r.state.step).toBe(14);
    expect(Buffer.from(model.params.flat.buffer).equals(Buffer.from(before!.buffer))).toBe(true);
    expect(saved).toEqual([10]);
    const ck = await loadCheckpoint(join(root, "step-10"));
    if (!ck.ok) throw new Error("checkpoint failed to load");
    expect(ck.value.params.every(Number.isFinite)).toBe(true);
    // with no checkpoint saved yet, the message says so instead of naming one
    const fresh = Llama.f32(config, kernels);
    fresh.initialize(createRng(6));
    fresh.params.layers[0].wUp[0] = NaN;
    const r2 = await train(fresh, data, { steps: 3, schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 1, totalSteps: 3 } });
    if (r2.ok) throw new Error("expected training to stop");
    expect(r2.error.message).toMatch(/no checkpoint had been saved yet/);
  });
});
