/**
 * self-verification.gap on a real lab model before and after sft task "verification"
 * (src/train data/verification.ts): an untaught tiny model never says " Yes" after
 * "Is this answer correct?", so the gap is defined on no item (n = 0); the same model
 * after a short sft in the probe's own frame accepts some of its samples, so the gap has
 * a value (n > 0). The probe runs in the chat format, as the audit runs a tuned lab model.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
import { saveCheckpoint } from "../../src/formats/index.js";
import { openBuiltinModel } from "../../src/backends/index.js";
import { renderer, type ItemRecord } from "../../src/probes/index.js";
import { selfVerificationProbe } from "../../src/probes/self-verification.js";
import { resolveRecipeConfig, runLab } from "../../src/train/index.js";
import { collect, probeContext, worldItems } from "./helpers.js";

const tok = new CharTokenizer();
const config: ModelConfig = {
  vocabSize: tok.size, dim: 32, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnDim: 48,
  contextLength: 256, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
};
const kernels = createTsKernels();
const items = worldItems("arithmetic", 6);
let base: string;
let taught: string;

async function gapRecords(dir: string): Promise<ItemRecord[]> {
  const model = await openBuiltinModel(dir, { kernels });
  const ctx = probeContext(model, { seed: 2, samples: 4, maxTokens: 8, batchSize: 6, render: renderer(model, { kind: "chat" }) });
  return collect(selfVerificationProbe.run(model, items, ctx));
}

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), "ftledger-taught-"));
  base = join(root, "base");
  const m = Llama.f32(config, kernels);
  m.initialize(createRng(1), 0.3);
  const saved = await saveCheckpoint(base, { config, params: m.params.flat, tokenizer: tok });
  if (!saved.ok) throw new Error("save failed");
  const r = resolveRecipeConfig("sft", {
    base, task: "verification", examples: { count: 64, offset: 100 }, train: { steps: 80, batchSize: 8, maxLr: 1e-2, minLr: 1e-2, warmupSteps: 0 },
  });
  if (!r.ok) throw new Error(r.message);
  const run = await runLab({ recipe: r.value.recipe, dir: join(root, "taught"), kernels, seed: 1 });
  if (!run.ok) throw new Error(run.message);
  taught = run.checkpoint;
});

describe("self-verification.gap on a lab model taught to verify", () => {
  it("is defined on no item before, and on some after, the verification sft", async () => {
    const before = await gapRecords(base);
    expect(before.every((r) => r.values["self-accept"] === 0 && r.values["verification-gap"] === null)).toBe(true);
    const after = await gapRecords(taught);
    expect(after.some((r) => (r.values["self-accept"] as number) > 0)).toBe(true);
    expect(after.filter((r) => r.values["verification-gap"] !== null).length).toBeGreaterThan(0);
  });
});
