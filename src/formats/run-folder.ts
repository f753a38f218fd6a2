/**
 * The lab's run folder on disk — the one place that knows its layout:
 *
 *   DIR/run.json                          what was asked: recipe, seed, steps, schedule, code version,
 *                                         the recipe's config, its base (path, sha256), its data
 *   DIR/metrics.jsonl                     one line per update
 *   DIR/checkpoints/step-000300/          one HF-layout checkpoint per save, plus
 *       optimizer.safetensors             AdamW moments m, v
 *       trainer_state.json                step, losses so far, seed, kernels
 *
 * Training (src/train) writes it; the backends (a `builtin:` spec naming a run folder),
 * the audit (`--trajectory`, `--world RUN`) and the command line read it through here.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { resolveZooPath } from "./zoo.js";

export const RUN_MANIFEST_FILE = "run.json";
export const METRICS_FILE = "metrics.jsonl";
const CHECKPOINTS = "checkpoints";
const STEP_NAME = /^step-\d+$/;

/** The folder name of the checkpoint at `step`: step-000300 (zero-padded, so names sort by step). */
export function stepName(step: number): string {
  return `step-${String(step).padStart(6, "0")}`;
}

/** The checkpoint folder of `step` in run folder `dir`. */
export function stepDir(dir: string, step: number): string {
  return join(dir, CHECKPOINTS, stepName(step));
}

/** The folder that holds a run's checkpoints. */
export function checkpointsDir(dir: string): string {
  return join(dir, CHECKPOINTS);
}

/** Every complete checkpoint folder of a run, oldest first (empty when there is none). */
export async function listCheckpoints(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(dir, CHECKPOINTS));
  } catch {
    return [];
  }
  return names.filter((n) => STEP_NAME.test(n)).sort().map((n) => join(dir, CHECKPOINTS, n));
}

/** The newest complete checkpoint folder of a run, or null. */
export async function latestCheckpoint(dir: string): Promise<string | null> {
  return (await listCheckpoints(dir)).at(-1) ?? null;
}

/** Is `dir` the checkpoint of `step` (the finished end of a run planned for `step` steps)? */
export function isStepDir(dir: string, step: number): boolean {
  return dir.endsWith(stepName(step));
}

const isFile = (p: string) => stat(p).then((s) => s.isFile(), () => false);
const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/**
 * The checkpoint folder a path names: the folder itself when it holds a config.json, else
 * a run folder's newest checkpoint. `zoo/NAME` also finds the package's own zoo.
 */
export async function findCheckpointDir(
  given: string,
): Promise<{ ok: true; dir: string } | { ok: false; why: "no-folder" | "no-checkpoint"; path: string }> {
  const path = resolveZooPath(given);
  if (!(await isDir(path))) return { ok: false, why: "no-folder", path };
  if (await isFile(join(path, "config.json"))) return { ok: true, dir: path };
  const latest = await latestCheckpoint(path);
  if (latest) return { ok: true, dir: latest };
  const final = await selfImproveModel(path);
  return final ? findCheckpointDir(final) : { ok: false, why: "no-checkpoint", path };
}

/**
 * A finished self-improvement loop's model (src/train self-improve.ts): its folder holds
 * self-improve.json and round-NN/ folders; the last round's done.json names the final model,
 * a path as the loop was given its folder (relative to the working directory then, or
 * absolute), or relative to the loop's folder. Null for any other folder, or a loop that has
 * not finished a round.
 */
async function selfImproveModel(dir: string): Promise<string | null> {
  if (!(await isFile(join(dir, "self-improve.json")))) return null;
  const rounds = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^round-\d+$/.test(n)).sort().reverse();
  for (const r of rounds) {
    let model: unknown;
    try {
      model = (JSON.parse(await readFile(join(dir, r, "done.json"), "utf8")) as { model?: unknown }).model;
    } catch {
      continue; // no done.json yet: an unfinished round
    }
    if (typeof model !== "string") continue;
    for (const p of isAbsolute(model) ? [model] : [resolve(model), join(dir, model)]) if (await isDir(p)) return p;
  }
  return null;
}

/** As `findCheckpointDir`, but a path that names no checkpoint comes back as given (its loader then says what is wrong). */
export async function resolveCheckpointDir(given: string): Promise<string> {
  const r = await findCheckpointDir(given);
  return r.ok ? r.dir : r.path;
}

const scheduleSchema = z.object({ maxLr: z.number(), minLr: z.number(), warmupSteps: z.number().int(), totalSteps: z.number().int() });

export const runManifestSchema = z.object({
  recipe: z.string(),
  seed: z.number().int(),
  steps: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  schedule: scheduleSchema,
  config: z.object({
    vocabSize: z.number(), dim: z.number(), nLayers: z.number(), nHeads: z.number(), nKvHeads: z.number(), ffnDim: z.number(),
    contextLength: z.number(), ropeTheta: z.number(), normEps: z.number(), tiedEmbeddings: z.boolean(),
  }),
  kernels: z.string(),
  /** The code that made the run: package version and git commit (absent in runs made before it was recorded). */
  code: z.object({ package: z.string(), version: z.string(), commit: z.string().optional() }).optional(),
  adamw: z.object({ beta1: z.number(), beta2: z.number(), eps: z.number(), weightDecay: z.number() }),
  clip: z.number(),
  /** The recipe's validated config (absent for recipes without one). */
  recipeConfig: z.unknown().optional(),
  /** A fine-tune's starting weights: the path given, the checkpoint folder it resolved to, sha256 of the float32 weights. */
  base: z.object({ path: z.string(), checkpoint: z.string(), sha256: z.string() }).optional(),
  /** What the data source reports about its data (counts, dropped examples, sha256 of the tokens). */
  data: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

/** run.json: everything that decides the run's numbers besides the code. */
export type RunManifest = z.infer<typeof runManifestSchema>;

export type JsonRead<T> = { ok: true; value: T } | { ok: false; message: string };

/** A JSON file of the run folder checked against `schema`; the message names the file and the field. */
export async function readRunJson<T>(path: string, what: string, schema: z.ZodType<T>): Promise<JsonRead<T>> {
  const broken = (why: string) => ({ ok: false as const, message: `${path}: cannot use the ${what} (${why}); the run folder is incomplete or was edited — start a fresh run with another --out.` });
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    return broken((e as Error).message);
  }
  const r = schema.safeParse(raw);
  if (!r.success) return broken(`${r.error.issues[0].path.join(".")}: ${r.error.issues[0].message}`);
  return { ok: true, value: r.data };
}

/** The run.json of run folder `dir`. */
export function readRunManifest(dir: string): Promise<JsonRead<RunManifest>> {
  return readRunJson(join(dir, RUN_MANIFEST_FILE), "run manifest", runManifestSchema);
}
