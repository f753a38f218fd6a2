/**
 * The self-improvement loop (recipes/self-improve.ts says what a round does), resumable
 * exactly by round and by update within a round. Its run folder:
 *
 *   OUT/self-improve.json          the loop's manifest: config, seed, kernels, code (a resume must match)
 *   OUT/metrics.jsonl              one line per round: round, filter, trained, and the round's
 *                                  measurements (self-improve-metrics.ts), rewritten whole after each round
 *   OUT/round-01/samples.json      round 1's prompts' samples with both verdicts and what was kept,
 *                                  written once (atomically) before its update
 *   OUT/round-01/                  round 1's update: a runLab run folder (run.json, metrics.jsonl,
 *                                  checkpoints/step-N) fine-tuned from the base
 *   OUT/round-01/done.json         the round's model (a checkpoint path relative to OUT), written last
 *   OUT/round-02/ …                fine-tuned from round 1's model, and so on
 *   OUT/round-{R+1}/samples.json   the last measurement (no update); its done.json names the final model
 *
 * Resuming skips every round with a done.json, reuses a round's samples.json when it exists
 * (generation is seeded and deterministic, so a regenerated one would be the same), and
 * resumes the round's runLab run from its newest checkpoint, so the result is bit-identical
 * to an uninterrupted loop.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { Llama, type Tokenizer } from "../model/index.js";
import type { Kernels } from "../tensor/index.js";
import { formatFormatError, latestCheckpoint, loadCheckpoint, readRunJson, resolveCheckpointDir, writeTextAtomic } from "../formats/index.js";
import { arithmeticTask, type WorldItem } from "../world/index.js";
import { stepSeed } from "./batches.js";
import { codeVersion } from "./code-version.js";
import type { ChatExample } from "./data/chat.js";
import { selfImproveRound, type SelfImproveConfig } from "./recipes/self-improve.js";
import { runLab } from "./run.js";
import { roundMetrics, type RoundMetrics } from "./self-improve-metrics.js";
import { sampleAndVerify, selfAccepts, type RoundSample } from "./self-improve-sample.js";
import type { StepLog } from "./trainer.js";

export const SELF_IMPROVE_MANIFEST = "self-improve.json";
export const SAMPLES_FILE = "samples.json";
export const DONE_FILE = "done.json";

export function roundDir(dir: string, round: number): string {
  return join(dir, `round-${String(round).padStart(2, "0")}`);
}

export interface SelfImproveOptions {
  config: SelfImproveConfig;
  dir: string;
  kernels: Kernels;
  seed: number;
  /** Continue the loop in `dir` (an error if there is none). */
  resume?: boolean;
  /** Checkpoint interval of each round's update (default 8). */
  checkpointEvery?: number;
  onStep?: (round: number, log: StepLog) => void;
  /** Called when a round's samples are judged, before its update. */
  onRound?: (line: RoundLine) => void;
}

export type RoundLine = { round: number; filter: SelfImproveConfig["filter"]; trained: boolean } & RoundMetrics;

export type SelfImproveResult =
  | { ok: true; rounds: RoundLine[]; model: string; note?: string }
  | { ok: false; message: string };

const sampleSchema = z.object({
  item: z.string(), text: z.string(), correct: z.boolean(), yes: z.number().nullable(), no: z.number().nullable(), truncated: z.boolean(),
});
const samplesFileSchema = z.object({ round: z.number().int(), from: z.string(), samples: z.array(sampleSchema), kept: z.array(z.boolean()) });
const doneSchema = z.object({ model: z.string(), trained: z.boolean() });
const manifestSchema = z.object({ loop: z.literal("self-improve"), seed: z.number().int(), kernels: z.string(), config: z.unknown() });

type SamplesFile = z.infer<typeof samplesFileSchema>;

/** The id items round `round` samples: fresh ones each round. */
export function roundItems(c: SelfImproveConfig, round: number): WorldItem[] {
  const n = c.prompts.offset + round * c.prompts.count;
  return arithmeticTask.items({ config: c.world.arithmetic, seed: c.world.seed, split: "id", n }).slice(n - c.prompts.count);
}

async function loadModel(path: string, kernels: Kernels): Promise<{ ok: true; model: Llama<Float32Array>; tokenizer: Tokenizer } | { ok: false; message: string }> {
  const dir = await resolveCheckpointDir(path);
  const ck = await loadCheckpoint(dir);
  if (!ck.ok) return { ok: false, message: `self-improve model ${path}: ${formatFormatError(ck.error)}` };
  const model = Llama.f32(ck.value.config, kernels);
  model.params.flat.set(ck.value.params);
  return { ok: true, model, tokenizer: ck.value.tokenizer };
}

async function startOrCheck(o: SelfImproveOptions): Promise<string | null> {
  const path = join(o.dir, SELF_IMPROVE_MANIFEST);
  if (!o.resume) {
    if (existsSync(path)) return `${o.dir} already holds a self-improve run; pass --resume to continue it, or choose another --out.`;
    await mkdir(o.dir, { recursive: true });
    const manifest = { loop: "self-improve", seed: o.seed, kernels: o.kernels.name, code: codeVersion(), config: o.config };
    await writeTextAtomic(path, JSON.stringify(manifest, null, 2) + "\n");
    return null;
  }
  if (!existsSync(path)) return `${o.dir}: no ${SELF_IMPROVE_MANIFEST} to resume from; run without --resume to start fresh.`;
  const m = await readRunJson(path, "self-improve manifest", manifestSchema);
  if (!m.ok) return m.message;
  if (m.value.seed !== o.seed) return `${o.dir}: the loop was started with --seed ${m.value.seed}; resume it with the same seed.`;
  if (JSON.stringify(m.value.config) !== JSON.stringify(o.config)) {
    return `${o.dir}: the config differs from the one in ${SELF_IMPROVE_MANIFEST}; resume with the same --config (its "config").`;
  }
  return null;
}

async function samplesOf(o: SelfImproveOptions, round: number, from: string): Promise<{ ok: true; value: SamplesFile } | { ok: false; message: string }> {
  const c = o.config;
  const file = join(roundDir(o.dir, round), SAMPLES_FILE);
  if (existsSync(file)) {
    const r = await readRunJson(file, "round samples", samplesFileSchema);
    if (!r.ok) return r;
    if (r.value.from !== from) return { ok: false, message: `${file}: sampled from ${r.value.from}, but round ${round} starts from ${from}; start a fresh run.` };
    return r;
  }
  const loaded = await loadModel(from, o.kernels);
  if (!loaded.ok) return loaded;
  const samples: RoundSample[] = sampleAndVerify(loaded.model, loaded.tokenizer, roundItems(c, round), {
    k: c.k, temperature: c.sampling.temperature, maxTokens: c.sampling.maxTokens, seed: stepSeed(o.seed ^ 0x5e1f, round),
  });
  const kept = samples.map((s) => (c.filter === "self" ? selfAccepts(s) : c.filter === "external" ? s.correct : false));
  const value: SamplesFile = { round, from, samples, kept };
  await mkdir(roundDir(o.dir, round), { recursive: true });
  await writeTextAtomic(file, JSON.stringify(value) + "\n");
  return { ok: true, value };
}

export async function runSelfImprove(o: SelfImproveOptions): Promise<SelfImproveResult> {
  const c = o.config;
  const problem = await startOrCheck(o);
  if (problem) return { ok: false, message: problem };
  const lines: RoundLine[] = [];
  let from = c.base;
  const prompts = new Map(Array.from({ length: c.rounds + 1 }, (_, i) => i + 1).flatMap((r) => roundItems(c, r)).map((it) => [it.id, it.prompt]));
  for (let round = 1; round <= c.rounds + 1; round++) {
    const rd = roundDir(o.dir, round);
    const got = await samplesOf(o, round, from);
    if (!got.ok) return got;
    const { samples, kept } = got.value;
    const doneFile = join(rd, DONE_FILE);
    let done = existsSync(doneFile) ? await readRunJson(doneFile, "round result", doneSchema) : null;
    if (done && !done.ok) return done;
    const last = round === c.rounds + 1;
    const keptExamples: ChatExample[] = samples.flatMap((s, i) => (kept[i] ? [{ id: `${s.item}#${i % c.k}`, prompt: prompts.get(s.item)!, response: s.text }] : []));
    const trains = !last && keptExamples.length + c.replay.verification > 0;
    const line: RoundLine = { round, filter: c.filter, trained: trains, ...roundMetrics(samples, kept) };
    lines.push(line);
    if (!done) o.onRound?.(line);
    if (!done) {
      let model = from;
      if (trains) {
        const resume = (await latestCheckpoint(rd)) !== null;
        const r = await runLab({
          recipe: selfImproveRound(c, round, from, keptExamples), dir: rd, kernels: o.kernels, seed: o.seed,
          checkpointEvery: o.checkpointEvery ?? 8, resume, onStep: (s) => o.onStep?.(round, s),
        });
        if (!r.ok) return { ok: false, message: `round ${round}: ${r.message}` };
        model = r.checkpoint;
      }
      await writeTextAtomic(doneFile, JSON.stringify({ model, trained: trains }) + "\n");
      done = { ok: true, value: { model, trained: trains } };
    }
    await writeTextAtomic(join(o.dir, "metrics.jsonl"), lines.map((l) => JSON.stringify(l) + "\n").join(""));
    from = done.value.model;
  }
  const m = await readRunJson(join(o.dir, SELF_IMPROVE_MANIFEST), "self-improve manifest", manifestSchema);
  const note = m.ok && m.value.kernels !== o.kernels.name
    ? `the loop was started on the ${m.value.kernels} kernels and resumed on ${o.kernels.name}: it matches an uninterrupted loop only to floating-point rounding`
    : undefined;
  return { ok: true, rounds: lines, model: from, ...(note ? { note } : {}) };
}

/** The loop's per-round lines (OUT/metrics.jsonl). */
export async function readSelfImproveMetrics(dir: string): Promise<RoundLine[]> {
  const text = await readFile(join(dir, "metrics.jsonl"), "utf8");
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as RoundLine);
}
