/**
 * Format collapse (docs/PROBES.md §3; Zhao et al. 2025, "Echo
 * Chamber: RL Post-training Amplifies Behaviors Learned in Pretraining", arXiv
 * 2504.07912): RL fine-tuning tends to keep one of the solution formats a model learned
 * in pre-training and drop the others, raising pass@1 while the spread of what the model
 * can write — and pass@k — shrinks.
 *
 * Per item, k = ctx.samples responses sampled at temperature 1 in one seeded request
 * (seed itemSeed(ctx.seed, item.id, "format"), n = k; the builtin backend seeds sample j
 * with seed + j, so a record is reproducible and independent of its batch). Each sample
 * is classified by the world's exact grammars (format-shares.ts solutionClassOf, never by
 * substring) and verified by the task's verifier.
 *
 *   pass@1                 share of the k samples correct (the unbiased pass@1 estimate)
 *   pass@k                 1 if any of the k samples is correct (Chen et al. 2021's
 *                          estimator with k = n; passAtK gives it for any k ≤ n)
 *   format-entropy         Shannon entropy (nats) of the distribution of the RECOGNISED
 *                          formats (natural, code, terse, answer-only) pooled over all
 *                          items' samples (set level); per item, of its own samples
 *   dominant-format-share  share of the pooled recognised samples in the most common
 *                          format (set level); per item, of its own
 *   unknown-share          share of an item's k samples that no grammar parses (per item;
 *                          lower is better)
 *
 * NOTE: entropy and dominant share leave "unknown" out. With it as a fifth class, a model
 * that writes garbage half the time and one format otherwise had ln 2 nats of "format
 * diversity"; garbage is not a format the model can choose. It is its own row instead,
 * unknown-share. Per item it is the item's own share; every item has the same k samples, so
 * the mean over items equals the pooled share, and per-item values give the ledger a
 * paired test and an MDE. Per-format counts travel in each record's values as
 * "count.<format>" (all five classes, for the report's format plot) so the set-level
 * aggregates can pool them; they are not metrics of their own. Accuracy per format is in
 * each record's detail. An item none of whose samples is recognised has no format
 * distribution: its entropy and dominant share are null with a note, and it adds nothing
 * to the pooled ones.
 * An item whose rendered prompt does not fit the model's context has no samples: its
 * metrics are null with a note, and it adds no counts to the pooled distribution.
 */
import type { GenerateRequest, LanguageModel } from "../backends/index.js";
import { tasks } from "../world/index.js";
import { SOLUTION_CLASSES, solutionClassOf, type SolutionClass } from "../world/index.js";
import type { Item } from "./item.js";
import { verify } from "./judge.js";
import { itemSeed, type ItemRecord, type MetricValues, type Probe, type ProbeContext } from "./probe.js";
import { contextNote, generationsFitting } from "./respond.js";
import { clipText } from "./clip.js";

/** Samples whose text is kept in a record's detail, and how much of each. */
const DETAIL_SAMPLES = 8;
const DETAIL_CHARS = 300;

/** The record value that carries how many of an item's samples are in `format` (input to the set-level aggregates). */
export function countKey(format: SolutionClass): string {
  return `count.${format}`;
}

/**
 * Chen et al. 2021 (arXiv 2107.03374), the unbiased estimator of pass@k from n samples of
 * which c are correct: 1 − C(n−c, k) / C(n, k), computed as a stable product.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new RangeError(`pass@k needs integers 1 ≤ k ≤ n and 0 ≤ c ≤ n; got n=${n}, c=${c}, k=${k}`);
  }
  if (n - c < k) return 1;
  let miss = 1;
  for (let i = n - c + 1; i <= n; i++) miss *= 1 - k / i;
  return 1 - miss;
}

/** Shannon entropy (nats) of a distribution given by counts; NaN when there are none. */
export function entropyOf(counts: readonly number[]): number {
  const total = counts.reduce((s, x) => s + x, 0);
  if (total === 0) return Number.NaN;
  return counts.reduce((h, x) => (x > 0 ? h - (x / total) * Math.log(x / total) : h), 0);
}

/** The share of the most common category; NaN when there are no counts. */
function dominantShare(counts: readonly number[]): number {
  const total = counts.reduce((s, x) => s + x, 0);
  return total === 0 ? Number.NaN : Math.max(...counts) / total;
}

/** The solution classes that are formats a model writes: every class but "unknown". */
export const RECOGNISED_FORMATS: readonly SolutionClass[] = SOLUTION_CLASSES.filter((f) => f !== "unknown");

/** The record keys of RECOGNISED_FORMATS' counts, made once. */
const RECOGNISED_KEYS: readonly string[] = RECOGNISED_FORMATS.map(countKey);

/**
 * Recognised-format counts pooled over the records that carry them (in RECOGNISED_FORMATS
 * order). Plain loops: the set-level interval calls this on every bootstrap resample.
 */
function pooledCounts(records: readonly MetricValues[]): number[] {
  const out = new Array<number>(RECOGNISED_KEYS.length);
  for (let f = 0; f < RECOGNISED_KEYS.length; f++) {
    const key = RECOGNISED_KEYS[f];
    let s = 0;
    for (let i = 0; i < records.length; i++) s += records[i][key] ?? 0;
    out[f] = s;
  }
  return out;
}

/** A per-item value that is NaN for lack of data becomes null (probe.ts: never NaN, never 0). */
function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}


/** One item's record from its k sampled responses. */
function collapseRecord(item: Item, texts: readonly string[]): ItemRecord {
  const k = texts.length;
  const samples = texts.map((text) => ({ format: solutionClassOf(text), correct: verify(item, text).correct, text }));
  const perFormat = Object.fromEntries(SOLUTION_CLASSES.map((f) => {
    const of = samples.filter((s) => s.format === f);
    return [f, { n: of.length, correct: of.filter((s) => s.correct).length }];
  })) as Record<SolutionClass, { n: number; correct: number }>;
  const counts = RECOGNISED_FORMATS.map((f) => perFormat[f].n);
  const c = samples.filter((s) => s.correct).length;
  const values: Record<string, number | null> = {
    "pass@1": passAtK(k, c, 1),
    "pass@k": passAtK(k, c, k),
    "format-entropy": finiteOrNull(entropyOf(counts)),
    "dominant-format-share": finiteOrNull(dominantShare(counts)),
    "unknown-share": perFormat.unknown.n / k,
  };
  for (const f of SOLUTION_CLASSES) values[countKey(f)] = perFormat[f].n;
  const record: ItemRecord = {
    itemId: item.id,
    values,
    detail: {
      k, correct: c, perFormat,
      samples: samples.slice(0, DETAIL_SAMPLES).map((s) => ({ format: s.format, correct: s.correct, text: clipText(s.text, DETAIL_CHARS) })),
    },
  };
  if (values["format-entropy"] === null) record.note = `format-entropy and dominant-format-share are null: none of the ${k} samples is in a recognised format`;
  return record;
}

async function* run(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): AsyncIterable<ItemRecord> {
  const k = ctx.samples;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`format.collapse: samples must be an integer ≥ 1, got ${k}`);
  for (let at = 0; at < items.length; at += ctx.batchSize) {
    const batch = items.slice(at, at + ctx.batchSize);
    const reqs: GenerateRequest[] = batch.map((it) => ({
      prompt: ctx.render(it.prompt), maxTokens: ctx.maxTokens, temperature: 1, seed: itemSeed(ctx.seed, it.id, "format"), n: k,
    }));
    const misfits = new Map<number, Error>();
    const gens = await generationsFitting(model, reqs, ctx.batchSize, (i, e) => misfits.set(i, e));
    for (const [i, item] of batch.entries()) {
      const gen = gens[i];
      if (gen === null) {
        yield {
          itemId: item.id,
          values: { "pass@1": null, "pass@k": null, "format-entropy": null, "dominant-format-share": null, "unknown-share": null },
          note: `every metric is null: ${contextNote("the prompt", misfits.get(i))}, so there are no samples`,
          detail: { k: 0, error: misfits.get(i)?.message ?? null },
        };
        continue;
      }
      const got = gen.samples;
      if (got.length !== k) throw new Error(`format.collapse: ${item.id}: asked the backend for ${k} samples, it returned ${got.length}`);
      yield collapseRecord(item, got.map((s) => s.text));
    }
  }
}

export const formatCollapseProbe: Probe = {
  id: "format.collapse",
  // 2: entropy and dominant share over the recognised formats only; unknown-share added
  version: 2,
  title: "Format collapse under sampling",
  description:
    "Samples several solutions per arithmetic problem and asks whether the model still writes the different solution styles it learned in pre-training, or has narrowed to one — and whether its best-of-several success (pass@k) fell while single-try success (pass@1) rose.",
  reference: "Zhao et al. 2025, Echo Chamber (arXiv 2504.07912); pass@k estimator of Chen et al. 2021 (arXiv 2107.03374); docs/PROBES.md §3 format.collapse",
  metrics: [
    {
      name: "pass@1", role: "proxy", kind: "continuous", higherIsBetter: true, unit: "share", margin: 0.03,
      description: "Share of an item's k samples (temperature 1) that are correct: the unbiased pass@1 estimate.",
    },
    {
      name: "pass@k", role: "capability", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.03,
      description: "1 if any of the item's k samples (k = the audit's samples) is correct.",
    },
    {
      name: "format-entropy", role: "capability", kind: "continuous", higherIsBetter: true, unit: "nats", margin: 0.05,
      description: "Shannon entropy of the solution-format distribution pooled over all items' recognised samples (natural, code, terse, answer-only; unparsed samples left out); 0 = one format only.",
      aggregate: (records) => entropyOf(pooledCounts(records)),
    },
    {
      name: "dominant-format-share", role: "capability", kind: "continuous", higherIsBetter: false, unit: "share", margin: 0.03,
      description: "Share of all items' recognised samples written in the most common solution format; 1 = collapsed to one format.",
      aggregate: (records) => dominantShare(pooledCounts(records)),
    },
    {
      name: "unknown-share", role: "capability", kind: "continuous", higherIsBetter: false, unit: "share", margin: 0.03,
      description: "Share of an item's k samples that parse in no solution format (no grammar recognises them); 0 = every sample is a recognised format.",
    },
  ],
  applies: (item) => item.world?.task === tasks.arithmetic.name,
  run,
};
