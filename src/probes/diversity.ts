/**
 * Diversity of sampled outputs, per domain (docs/PROBES.md §3; Shypula
 * et al. 2025, "Evaluating the Diversity and Quality of LLM Generated Content", arXiv
 * 2504.12522): preference tuning cuts diversity in code and raises it in creative
 * writing, and lexical, syntactic and semantic diversity can move apart.
 *
 * Per item, ctx.samples samples at temperature 1 in one seeded request (seed =
 * itemSeed(ctx.seed, item.id, "diversity"), n = ctx.samples; the builtin backend seeds
 * sample j with seed + j, so every sample is reproducible and independent of batching).
 *
 *   validity              (proxy) share of samples the item's verifier accepts (a story
 *                         verifier accepts any well-formed continuation)
 *   distinct-2@32         distinct word bigrams at a fixed budget of 32 bigrams: the
 *                         expected distinct fraction among 32 of the samples' bigrams drawn
 *                         without replacement (diversity-metrics.ts distinctNAt), so longer
 *                         samples are not marked down for their length; the raw distinct /
 *                         total distinct-1..4 are in detail
 *   compression-ratio     deflate-raw level 9 size / raw size of the samples joined by "\n"
 *   self-bleu             mean BLEU-4 of each sample against the others, smoothing method 1
 *                         of Chen & Cherry 2014 — higher is LESS diverse
 *   syntactic-diversity   unbiased Gini–Simpson index of the structural shapes over all
 *                         samples (diversity-structure.ts): the chance that two samples
 *                         differ in shape
 *   semantic-diversity    unbiased Gini–Simpson index of the behaviours over the m valid
 *                         samples: the chance that two distinct valid samples behave
 *                         differently; null when m < 2
 *
 * NOTE: both structural measures were distinct / count, whose expectation falls as the
 * count grows (4 equally likely behaviours: 0.875 at m = 2, 0.45 at m = 8), so a model
 * that made more samples valid lost "diversity" mechanically. The Gini–Simpson index's
 * expectation, 1 − Σ p², does not depend on m (diversity-metrics.ts giniSimpson).
 *
 * Lexical measures read each sample's whole text (diversity-metrics.ts).
 * Departures from the brief, each for a reason given in diversity-structure.ts:
 * programs' semantic diversity is over the samples that parse (not the correct ones, whose
 * behaviour is one by construction); arithmetic's semantic signature is the step sequence
 * without the format (format is form, counted by syntactic diversity); stories get a
 * syntactic shape (the grammar's productions) and no semantic one.
 * An item whose rendered prompt does not fit the model's context has no samples: every
 * metric is null with a note.
 */
import type { GenerateRequest, LanguageModel } from "../backends/index.js";
import { compressionRatio, distinctN, distinctNAt, giniSimpson, selfBleu } from "./diversity-metrics.js";
import { structureOf } from "./diversity-structure.js";
import { isReference, type Item } from "./item.js";
import { verify } from "./judge.js";
import { itemSeed, type ItemRecord, type MetricSpec, type Probe, type ProbeContext } from "./probe.js";
import { contextNote, generationsFitting } from "./respond.js";
import { clipText } from "./clip.js";

/** Characters of each sample kept in a record's detail. */
const DETAIL_CHARS = 200;
/** Samples shown in a record's detail. */
const DETAIL_SAMPLES = 16;
/**
 * The bigram budget of distinct-2@W. 32 bigrams is about two arithmetic solutions' worth
 * of words, so k = 8 samples of any task that writes sentences reach it, while an item
 * whose samples are a few words each (knowledge answers) stays null rather than measured
 * on too little text.
 */
export const DISTINCT_BUDGET = 32;
const DISTINCT_METRIC = `distinct-2@${DISTINCT_BUDGET}`;

const METRICS: readonly MetricSpec[] = [
  { name: "validity", role: "proxy", kind: "continuous", higherIsBetter: true, unit: "share", margin: 0.03,
    description: "share of an item's samples (temperature 1) that its verifier accepts" },
  { name: DISTINCT_METRIC, role: "capability", kind: "continuous", higherIsBetter: true, unit: "share", margin: 0.03,
    description: `expected share of distinct word bigrams among ${DISTINCT_BUDGET} of an item's sample bigrams (lexical diversity at a fixed length)` },
  { name: "compression-ratio", role: "capability", kind: "continuous", higherIsBetter: true, unit: "number", margin: 0.03,
    description: "deflate-raw (level 9) size / raw size of an item's samples joined; higher = less repetitive" },
  { name: "self-bleu", role: "capability", kind: "continuous", higherIsBetter: false, unit: "number", margin: 0.03,
    description: "mean BLEU-4 (smoothed) of each sample against the item's other samples; higher = samples repeat each other" },
  { name: "syntactic-diversity", role: "capability", kind: "continuous", higherIsBetter: true, unit: "share", margin: 0.05,
    description: "chance that two of an item's samples differ in structural shape (unbiased Gini–Simpson): program AST shapes, arithmetic format + step count, story productions" },
  { name: "semantic-diversity", role: "capability", kind: "continuous", higherIsBetter: true, unit: "share", margin: 0.05,
    description: "chance that two of an item's valid samples behave differently (unbiased Gini–Simpson): program outputs on an exact input grid, arithmetic step sequences" },
];

function request(item: Item, ctx: ProbeContext): GenerateRequest {
  return { prompt: ctx.render(item.prompt), maxTokens: ctx.maxTokens, temperature: 1, seed: itemSeed(ctx.seed, item.id, "diversity"), n: ctx.samples };
}

/** The record of one item from its samples: a pure function of (item, texts). */
export function diversityRecord(item: Item, texts: readonly string[]): ItemRecord {
  const notes: string[] = [];
  const orNote = (metric: string, v: number | null, why: string): number | null => {
    if (v === null) notes.push(`${metric}: ${why}`);
    return v;
  };
  const correct = texts.map((t) => verify(item, t).correct);
  const distinct = [1, 2, 3, 4].map((n) => distinctN(texts, n));
  const structure = structureOf(item, texts);

  let syntactic: number | null = null;
  if (!structure.shapes) notes.push(`syntactic-diversity: ${structure.syntacticNote}`);
  else syntactic = orNote("syntactic-diversity", giniSimpson(structure.shapes), "needs at least 2 samples");

  let semantic: number | null = null;
  let validSignatures: string[] = [];
  if (!structure.signatures) notes.push(`semantic-diversity: ${structure.semanticNote}`);
  else {
    const population = structure.population ?? "correct";
    validSignatures = structure.signatures.filter((s, i): s is string => s !== null && (population === "well-formed" || correct[i]));
    const what = population === "correct" ? "correct" : "well-formed (parsing)";
    semantic = orNote("semantic-diversity", giniSimpson(validSignatures),
      `fewer than 2 ${what} samples (${validSignatures.length} of ${texts.length})`);
  }

  const values: Record<string, number | null> = {
    "validity": orNote("validity", texts.length === 0 ? null : correct.filter(Boolean).length / texts.length, "no samples"),
    [DISTINCT_METRIC]: orNote(DISTINCT_METRIC, distinctNAt(texts, 2, DISTINCT_BUDGET), `the samples have fewer than ${DISTINCT_BUDGET} word bigrams`),
    "compression-ratio": orNote("compression-ratio", compressionRatio(texts), "the samples are empty"),
    "self-bleu": orNote("self-bleu", selfBleu(texts), "needs at least 2 samples, one of them with words"),
    "syntactic-diversity": syntactic,
    "semantic-diversity": semantic,
  };
  const detail: Record<string, unknown> = {
    samples: texts.slice(0, DETAIL_SAMPLES).map((t) => clipText(t, DETAIL_CHARS)),
    correct: correct.slice(0, DETAIL_SAMPLES),
    nSamples: texts.length,
    distinct: Object.fromEntries(distinct.map((d, n) => [`distinct-${n + 1}`, d])),
    compression: "deflate-raw level 9",
  };
  if (structure.shapes) detail.shapes = structure.shapes.slice(0, DETAIL_SAMPLES);
  if (structure.signatures) {
    detail.semanticPopulation = structure.population;
    detail.validSamples = validSignatures.length;
    detail.distinctBehaviours = new Set(validSignatures).size;
  }
  if (structure.gridDegree !== undefined) detail.gridDegree = structure.gridDegree;
  const record: ItemRecord = { itemId: item.id, values, detail };
  if (notes.length > 0) record.note = notes.join("; ");
  return record;
}

export const diversityProbe: Probe = {
  id: "diversity",
  // 2: distinct-2 became distinct-2@32 (length-controlled); syntactic and semantic diversity the unbiased Gini–Simpson index
  version: 2,
  title: "Diversity of sampled outputs",
  description:
    "Samples several answers to each question and measures how different they are from each other — in wording, in structure, " +
    "and in what they actually do — alongside how many of them are valid.",
  reference: "Shypula et al. 2025, Evaluating the Diversity and Quality of LLM Generated Content (arXiv 2504.12522)",
  metrics: METRICS,
  perDomain: true,
  applies: (item) => !isReference(item),
  async *run(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): AsyncIterable<ItemRecord> {
    const size = Math.max(1, ctx.batchSize);
    for (let at = 0; at < items.length; at += size) {
      const batch = items.slice(at, at + size);
      const misfits = new Map<number, Error>();
      const gens = await generationsFitting(model, batch.map((it) => request(it, ctx)), size, (i, e) => misfits.set(i, e));
      for (const [i, item] of batch.entries()) {
        const gen = gens[i];
        if (gen === null) {
          yield {
            itemId: item.id,
            values: Object.fromEntries(METRICS.map((m) => [m.name, null])),
            note: `every metric is null: ${contextNote("the prompt", misfits.get(i))}, so there are no samples`,
            detail: { nSamples: 0, error: misfits.get(i)?.message ?? null },
          };
          continue;
        }
        const got = gen.samples;
        if (got.length !== ctx.samples) throw new Error(`diversity: ${item.id}: asked for ${ctx.samples} samples, the backend returned ${got.length}`);
        yield diversityRecord(item, got.map((s) => s.text));
      }
    }
  },
};
