/**
 * `ftledger lab eval SPEC [SPEC...]`: what a lab model can do, with n and 95% intervals —
 * arithmetic accuracy (greedy, verified), knowledge recall by likelihood ranking and by
 * generation, and the arithmetic solution-format mix by sampling at T = 1. Every SPEC
 * after the first is also compared with the first on the same items: the paired
 * difference (paired bootstrap) and the exact McNemar p-value.
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { openModel, type LanguageModel } from "../../backends/index.js";
import {
  RESPONSE_FORMATS, generationAccuracy, rankingAccuracy, sampleFormats,
  type FormatSampleRecord, type Frame, type GenerationRecord, type OnProgress, type RankingRecord, type ResponseFormat,
} from "../../probes/index.js";
import { categoryShares, pairedBinary, proportion, type PairedBinaryComparison, type ProportionInterval } from "../../stats/index.js";
import { tasks, type Split } from "../../world/index.js";
import { arithmeticConfigSchema, type ArithmeticConfig } from "../../world/arithmetic/index.js";
import { knowledgeConfigSchema, type KnowledgeConfig } from "../../world/knowledge/index.js";
import { progressBar } from "../progress.js";

export const SPLITS = ["id", "n1", "ood"] as const satisfies readonly Split[];

export interface EvalOptions {
  n: number;
  seed: number;
  split: Split;
  /** One frame for every spec, or one per spec. */
  frames: Frame[];
  /** The world's task settings (default: the tasks' defaults); its seed, when given, is the world seed. */
  world?: EvalWorld;
  samples: number;
  json?: string;
}

/** 32 tokens for a knowledge answer: the longest option is 9 characters; the verifier reads the first line only. */
const KNOWLEDGE_MAX_TOKENS = 32;
/** 10,000 resamples: bounds stable to well under 0.5 pp between bootstrap seeds. */
const BOOTSTRAP_ITERATIONS = 10_000;

const out = (s: string) => process.stdout.write(s + "\n");
const err = (s: string) => process.stderr.write(`ftledger: ${s}\n`);

/** The binary metrics, measured per item on every model and compared pairwise. */
const METRICS = {
  arithmetic: "arithmetic accuracy (greedy)",
  knowledgeRanking: "knowledge recall (ranking)",
  knowledgeGeneration: "knowledge recall (generation)",
} as const;
type Metric = keyof typeof METRICS;

export interface ModelResult {
  spec: string;
  id: string;
  frame: Frame;
  seconds: number;
  summary: Record<Metric, ProportionInterval> & { formats: Record<ResponseFormat, ProportionInterval> };
  records: {
    arithmetic: GenerationRecord[];
    knowledgeRanking: RankingRecord[];
    knowledgeGeneration: GenerationRecord[];
    formats: FormatSampleRecord[];
  };
}

/** `k/n = p% [lo, hi]`, percentages to one decimal. */
export function formatProportion(x: ProportionInterval): string {
  const pct = (v: number) => (Number.isNaN(v) ? "n/a" : (100 * v).toFixed(1));
  return `${x.k}/${x.n} = ${pct(x.p)}% [${pct(x.lo)}, ${pct(x.hi)}]`;
}

function signedPp(v: number): string {
  return Number.isNaN(v) ? "n/a" : `${v >= 0 ? "+" : "−"}${Math.abs(100 * v).toFixed(1)}`;
}

function formatP(p: number): string {
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}

export interface EvalWorld {
  seed?: number;
  arithmetic: ArithmeticConfig;
  knowledge: KnowledgeConfig;
}

const worldFileSchema = z.object({
  seed: z.number().int().min(0).optional(),
  arithmetic: arithmeticConfigSchema.prefault({}),
  knowledge: knowledgeConfigSchema.prefault({}),
});

/**
 * `--world`: a JSON file of world settings ({ seed?, arithmetic?, knowledge? }), or a lab
 * run folder / run.json whose recipe config has them (evaluate in the world a model was
 * trained in). An invalid one is reported with the field.
 */
export async function readEvalWorld(path: string): Promise<{ ok: true; value: EvalWorld } | { ok: false; message: string }> {
  const file = (await isDir(path)) ? join(path, "run.json") : path;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    return { ok: false, message: `--world ${path}: cannot read ${file} (${(e as Error).message}); give a JSON file of world settings or a lab run folder.` };
  }
  const recorded = (raw as { recipeConfig?: { world?: unknown } }).recipeConfig;
  const r = worldFileSchema.safeParse(recorded ? recorded.world ?? {} : raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, message: `--world ${file}: ${issue.path.join(".") || "(root)"}: ${issue.message}` };
  }
  return { ok: true, value: r.data };
}

/** The world seed: the --world file's, else --seed. */
function worldSeed(o: EvalOptions): number {
  return o.world?.seed ?? o.seed;
}

/** Tasks' items, the same for every model: the first n of the split under the world seed. */
function evalItems(o: EvalOptions) {
  const seed = worldSeed(o);
  return {
    arithmetic: tasks.arithmetic.items({ config: o.world?.arithmetic ?? tasks.arithmetic.defaults, seed, split: o.split, n: o.n }),
    knowledge: tasks.knowledge.items({ config: o.world?.knowledge ?? tasks.knowledge.defaults, seed, split: o.split, n: o.n }),
  };
}

/** Run `f` with a progress bar on stderr. */
async function withBar<T>(total: number, label: string, f: (onProgress: OnProgress) => Promise<T>): Promise<T> {
  const bar = progressBar(total, label, "");
  try {
    return await f((done) => bar.update(done));
  } finally {
    bar.stop();
  }
}

async function measure(model: LanguageModel, spec: string, frame: Frame, items: ReturnType<typeof evalItems>, o: EvalOptions): Promise<ModelResult> {
  const t0 = performance.now();
  const { n } = o;
  const arithmetic = await withBar(n, "arithmetic (greedy)", (onProgress) => generationAccuracy(model, tasks.arithmetic, items.arithmetic, { frame, onProgress }));
  const knowledgeRanking = await withBar(n, "knowledge (ranking)", (onProgress) => rankingAccuracy(model, items.knowledge, { onProgress }));
  const knowledgeGeneration = await withBar(n, "knowledge (generation)", (onProgress) =>
    generationAccuracy(model, tasks.knowledge, items.knowledge, { frame, maxTokens: KNOWLEDGE_MAX_TOKENS, onProgress }));
  const formats = await withBar(n * o.samples, "formats (T=1)", (onProgress) =>
    sampleFormats(model, tasks.arithmetic, items.arithmetic, { seed: o.seed, samples: o.samples, frame, onProgress }));
  const correct = (rs: { correct: boolean }[]) => rs.map((r) => r.correct);
  return {
    spec, id: model.id, frame, seconds: (performance.now() - t0) / 1000,
    summary: {
      arithmetic: proportion(correct(arithmetic)),
      knowledgeRanking: proportion(correct(knowledgeRanking)),
      knowledgeGeneration: proportion(correct(knowledgeGeneration)),
      formats: categoryShares(formats.map((r) => r.format), RESPONSE_FORMATS),
    },
    records: { arithmetic, knowledgeRanking, knowledgeGeneration, formats },
  };
}

function compare(base: ModelResult, tuned: ModelResult, seed: number): Record<Metric, PairedBinaryComparison> {
  const pair = (m: Metric) => {
    const b = base.records[m];
    const t = tuned.records[m];
    if (b.some((r, i) => r.id !== t[i]?.id)) throw new Error(`${m}: the two models' records are not on the same items`);
    return pairedBinary(b.map((r) => r.correct), t.map((r) => r.correct), { seed, iterations: BOOTSTRAP_ITERATIONS });
  };
  return { arithmetic: pair("arithmetic"), knowledgeRanking: pair("knowledgeRanking"), knowledgeGeneration: pair("knowledgeGeneration") };
}

const LABEL_WIDTH = Math.max(...Object.values(METRICS).map((s) => s.length)) + 2;

function printModel(r: ModelResult, index: number, o: EvalOptions): void {
  out(`[${index + 1}] ${r.spec}  (${r.id}; frame ${r.frame}; ${r.seconds.toFixed(1)} s)`);
  for (const [m, label] of Object.entries(METRICS) as [Metric, string][]) out(`  ${label.padEnd(LABEL_WIDTH)}${formatProportion(r.summary[m])}`);
  const per = o.samples === 1 ? "1 sample per prompt" : `${o.samples} samples per prompt; NOTE: intervals treat them as independent`;
  out(`  arithmetic formats (T=1, ${per})`);
  const width = Math.max(...RESPONSE_FORMATS.map((f) => f.length)) + 2;
  for (const f of RESPONSE_FORMATS) out(`    ${f.padEnd(width)}${formatProportion(r.summary.formats[f])}`);
}

function printComparison(c: Record<Metric, PairedBinaryComparison>, base: number, tuned: number, seed: number): void {
  out(`[${tuned + 1}] − [${base + 1}], paired on the same items (pp, 95% paired bootstrap: ${BOOTSTRAP_ITERATIONS} resamples, seed ${seed}; exact McNemar)`);
  for (const [m, label] of Object.entries(METRICS) as [Metric, string][]) {
    const { difference: d, mcnemar } = c[m];
    out(`  ${label.padEnd(LABEL_WIDTH)}${signedPp(d.meanDifference)} pp [${signedPp(d.lo)}, ${signedPp(d.hi)}]  McNemar p = ${formatP(mcnemar.p)} (lost ${mcnemar.b}, gained ${mcnemar.c})`);
  }
}

/** Write `text` to `file` atomically: a temp file in the same folder, then rename. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

/** The frame of spec i: one for all, or one each. */
function frameOf(o: EvalOptions, i: number): Frame {
  return o.frames.length === 1 ? o.frames[0] : o.frames[i];
}

export interface EvalReport {
  results: ModelResult[];
  comparisons: { base: string; tuned: string; metrics: Record<Metric, PairedBinaryComparison> }[];
}

/**
 * Measure already opened models on the same items, print each and every later model's
 * paired difference from the first, and write the JSON when asked. (The demo calls this.)
 */
export async function evaluateModels(models: LanguageModel[], specs: string[], o: EvalOptions): Promise<EvalReport> {
  const items = evalItems(o);
  const frames = o.frames.length === 1 ? o.frames[0] : o.frames.join(",");
  const settings = o.world ? `, world settings from --world` : "";
  out(`lab eval: ${o.n} ${o.split} items per task (world seed ${worldSeed(o)}${settings}), frame ${frames}; 95% Wilson intervals`);
  const results: ModelResult[] = [];
  for (const [i, model] of models.entries()) {
    process.stderr.write(`[${i + 1}/${models.length}] ${specs[i]}\n`);
    const r = await measure(model, specs[i], frameOf(o, i), items, o);
    results.push(r);
    printModel(r, i, o);
  }
  // every later model against the first, paired by item
  const comparisons = results.slice(1).map((r, j) => {
    const c = compare(results[0], r, o.seed);
    printComparison(c, 0, j + 1, o.seed);
    return { base: results[0].spec, tuned: r.spec, metrics: c };
  });
  if (o.json !== undefined) {
    const doc = {
      tool: "ftledger lab eval",
      options: { n: o.n, seed: o.seed, split: o.split, frames: o.frames, samples: o.samples, ...(o.world ? { world: o.world } : {}) },
      seeds: { world: worldSeed(o), sampling: o.seed, bootstrap: o.seed },
      bootstrapIterations: BOOTSTRAP_ITERATIONS,
      items: { arithmetic: items.arithmetic.map((it) => it.id), knowledge: items.knowledge.map((it) => it.id) },
      models: results,
      comparisons,
    };
    await writeAtomic(o.json, JSON.stringify(doc, null, 1) + "\n");
    out(`wrote ${o.json}`);
  }
  return { results, comparisons };
}

export async function labEval(specs: string[], o: EvalOptions): Promise<number> {
  // 1. check what can be checked before minutes of work: frames, the --json folder, every spec
  if (o.frames.length !== 1 && o.frames.length !== specs.length) {
    err(`--frame ${o.frames.join(",")}: give one frame for all ${specs.length} models or one per model (${specs.length}), comma-separated.`);
    return 2;
  }
  if (o.json !== undefined && !(await isDir(dirname(resolve(o.json))))) {
    err(`--json ${o.json}: the folder ${dirname(resolve(o.json))} does not exist; create it or give another path.`);
    return 2;
  }
  const models: LanguageModel[] = [];
  try {
    for (const spec of specs) {
      try {
        models.push(await openModel(spec));
      } catch (e) {
        err(`cannot open ${spec}: ${(e as Error).message}`);
        return 2;
      }
    }
    await evaluateModels(models, specs, o);
    return 0;
  } finally {
    await Promise.all(models.map((m) => m.close()));
  }
}
