/**
 * The self-improvement loop on a tiny base taught to say Yes: a round samples, judges and
 * keeps by its filter (self: the model's own Yes/No; external: the world's verifier), trains
 * on what it kept (its loss falls), and logs one line per round; a loop killed inside a
 * round's update resumes to the identical result.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../../src/tensor/index.js";
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from "../../../src/formats/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../../src/model/index.js";
import { createRng } from "../../../src/random/index.js";
import {
  encodeVerification, readSelfImproveMetrics, roundDir, verificationExamples, type Recipe, runLab, runSelfImprove, selfAccepts, selfImproveSchema, type RoundSample, type SelfImproveConfig,
} from "../../../src/train/index.js";
import { encodedBatches } from "../../../src/train/data/chat.js";
import { YES } from "../../../src/world/index.js";
import { ftledger } from "../../cli/run-cli.js";
import { tinyPretrain } from "./tiny.js";

const kernels = createTsKernels();
let root: string;
let taught: string;

const world = { knowledge: tinyPretrain.world.knowledge };

function config(over: Record<string, unknown> = {}): SelfImproveConfig {
  return selfImproveSchema.parse({
    base: taught, world, rounds: 2, prompts: { count: 4 }, k: 2, sampling: { maxTokens: 16 }, replay: { verification: 4 },
    train: { steps: 4, batchSize: 4, maxLr: 1e-2, minLr: 1e-3, warmupSteps: 0 }, ...over,
  });
}

const samplesOf = async (dir: string, round: number) =>
  JSON.parse(await readFile(join(roundDir(dir, round), "samples.json"), "utf8")) as { from: string; samples: RoundSample[]; kept: boolean[] };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftledger-self-improve-"));
  const base = join(root, "base");
  const tok = new CharTokenizer();
  const model: ModelConfig = { vocabSize: tok.size, ...tinyPretrain.model, contextLength: 256, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true };
  const m = Llama.f32(model, kernels);
  m.initialize(createRng(3), 0.3);
  const saved = await saveCheckpoint(base, { config: model, params: m.params.flat, tokenizer: tok });
  if (!saved.ok) throw new Error("save failed");
  // a model that says " Yes" to everything (verification rows whose verdict is Yes only), so the
  // self filter keeps samples and the external one (nothing a tiny model writes is correct) keeps none
  const yesRows = verificationExamples({ world: selfImproveSchema.parse({ base }).world, count: 48, offset: 0, format: "item" }).filter((e) => e.verdict === YES);
  const yesSayer: Recipe = {
    name: "yes-sayer", description: "always Yes", defaults: { steps: 20, batchSize: 8, maxLr: 1e-2, minLr: 1e-2, warmupSteps: 0 },
    base: { path: base }, model: (_t, b) => b!,
    data: ({ tokenizer, batchSize }) => encodedBatches(tokenizer, yesRows.map((e) => encodeVerification(tokenizer, e)), batchSize, 256, 1, () => "too long"),
  };
  const r = await runLab({ recipe: yesSayer, dir: join(root, "taught"), kernels, seed: 1 });
  if (!r.ok) throw new Error(r.message);
  taught = r.checkpoint;
});

describe("self-improve", () => {
  it("keeps what its filter accepts, trains on it, and logs every round", async () => {
    const self = join(root, "self");
    const ext = join(root, "external");
    const a = await runSelfImprove({ config: config({ rounds: 1 }), dir: self, kernels, seed: 1 });
    const b = await runSelfImprove({ config: config({ rounds: 1, filter: "external" }), dir: ext, kernels, seed: 1 });
    if (!a.ok || !b.ok) throw new Error(a.ok ? (b as { message: string }).message : a.message);
    const s1 = await samplesOf(self, 1);
    const e1 = await samplesOf(ext, 1);
    // round 1 samples the same model with the same seed in both arms; only what is kept differs
    expect(e1.samples).toEqual(s1.samples);
    expect(s1.samples).toHaveLength(8);
    expect(s1.samples.some((s) => s.yes !== null)).toBe(true);
    expect(s1.kept.some(Boolean)).toBe(true);
    expect(s1.kept).toEqual(s1.samples.map(selfAccepts));
    expect(e1.kept).toEqual(e1.samples.map((s) => s.correct));
    // the round's update trained on the kept samples and the replayed verification rows
    const run = JSON.parse(await readFile(join(roundDir(self, 1), "run.json"), "utf8")) as { data: { examples: number; dropped: number } };
    expect(run.data.examples + run.data.dropped).toBe(s1.kept.filter(Boolean).length + 4);
    // one line per round, the last a measurement only
    const lines = await readSelfImproveMetrics(self);
    expect(lines.map((l) => [l.round, l.trained])).toEqual([[1, true], [2, false]]);
    for (const l of lines) for (const key of ["genUtility", "selfAccept", "verifUtility", "gap", "gapItems", "kept", "distinctAnswers", "formatEntropy"]) expect(l).toHaveProperty(key);
    expect(lines[0].kept).toBe(s1.kept.filter(Boolean).length);
    // round 2 starts from round 1's model
    expect((await samplesOf(self, 2)).from).toMatch(/round-01/);
    // the update learns: on the external arm's rows (no junk sample is correct: the replayed rows only) its loss falls
    expect(e1.kept.some(Boolean)).toBe(false);
    const losses = (await readFile(join(roundDir(ext, 1), "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => (JSON.parse(l) as { loss: number }).loss);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    // filter "none" without replay never updates: every round measures the base itself
    const none = join(root, "none");
    const c = await runSelfImprove({ config: config({ rounds: 1, filter: "none", replay: { verification: 0 } }), dir: none, kernels, seed: 1 });
    if (!c.ok) throw new Error(c.message);
    expect(c.rounds.map((l) => [l.trained, l.kept])).toEqual([[false, 0], [false, 0]]);
    expect((await samplesOf(none, 2)).from).toBe(taught);
    expect(c.model).toBe(taught);
  });

  it("resumes a loop killed inside a round's update to the identical result", async () => {
    const full = join(root, "full");
    const killed = join(root, "killed");
    const a = await runSelfImprove({ config: config({ prompts: { count: 2 } }), dir: full, kernels, seed: 2, checkpointEvery: 2 });
    if (!a.ok) throw new Error(a.message);
    const kill = runSelfImprove({
      config: config({ prompts: { count: 2 } }), dir: killed, kernels, seed: 2, checkpointEvery: 2,
      onStep: (round, s) => {
        if (round === 2 && s.step === 3) throw new Error("killed");
      },
    });
    await expect(kill).rejects.toThrow("killed");
    expect(await latestCheckpoint(roundDir(killed, 2))).toMatch(/step-000002$/);
    // a fresh start is refused, and so is another config
    expect(await runSelfImprove({ config: config({ prompts: { count: 2 } }), dir: killed, kernels, seed: 2 })).toMatchObject({ ok: false, message: expect.stringMatching(/--resume/) });
    expect(await runSelfImprove({ config: config({ prompts: { count: 2 }, k: 3 }), dir: killed, kernels, seed: 2, resume: true })).toMatchObject({ ok: false, message: expect.stringMatching(/config differs/) });
    const b = await runSelfImprove({ config: config({ prompts: { count: 2 } }), dir: killed, kernels, seed: 2, checkpointEvery: 2, resume: true });
    if (!b.ok) throw new Error(b.message);
    expect(b.rounds).toEqual(a.rounds);
    expect(await readSelfImproveMetrics(killed)).toEqual(await readSelfImproveMetrics(full));
    const { from: _k, ...resumedRound } = await samplesOf(killed, 2);
    const { from: _f, ...fullRound } = await samplesOf(full, 2);
    expect(resumedRound).toEqual(fullRound);
    const x = await loadCheckpoint(a.model);
    const y = await loadCheckpoint(b.model);
    if (!x.ok || !y.ok) throw new Error("checkpoint failed to load");
    expect(Buffer.from(y.value.params.buffer).equals(Buffer.from(x.value.params.buffer))).toBe(true);
  });

  it("runs as `lab train self-improve`, whose help shows an example and whose errors name the field", () => {
    expect(ftledger("lab", "train", "--help").stdout).toMatch(/lab train self-improve --config si\.json/);
    const r = ftledger("lab", "train", "self-improve", "--out", join(root, "cli"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/self-improve config: base: required/);
  });
});
