/**
 * The Probe contract (docs/ARCHITECTURE.md, src/probes): a probe runs one model over items and
 * yields one record per item, holding the values of its metrics — at least one proxy
 * (what fine-tuning was rewarded for) and one capability (what it may have traded away).
 * src/audit runs every probe on the base and the tuned model over the same items, pairs
 * the records by item id and computes the statistics (src/stats).
 *
 * Rules every probe keeps, so an interrupted audit resumes to identical numbers:
 * - a record depends only on (model, item, context), never on which other items share
 *   its batch: sampling seeds come from `itemSeed(ctx.seed, item.id, …)`;
 * - a value that cannot be computed for an item is `null` with a `note` saying why,
 *   never 0.
 */
import type { LanguageModel } from "../backends/index.js";
import { hash32 } from "../random/index.js";
import type { Item } from "./item.js";
import type { Render } from "./prompt-format.js";

export type MetricRole = "proxy" | "capability";

/** One metric's values on one item; null = not computable for this item. */
export type MetricValues = Readonly<Record<string, number | null>>;

export interface MetricSpec {
  /** Unique within its probe: "accuracy", "aoc". */
  name: string;
  role: MetricRole;
  /** binary: values are 0/1 (McNemar); continuous: any finite number (sign-flip permutation). */
  kind: "binary" | "continuous";
  higherIsBetter: boolean;
  /** How to print it: share (0–1, shown as %), nats, or a plain number. */
  unit: "share" | "nats" | "number";
  /** One line for the ledger's documentation. */
  description: string;
  /**
   * The smallest change that matters, in the metric's own unit: a change beyond it is
   * gained or lost, a significant one within it negligible, and a TOST within it
   * equivalent (src/audit verdict.ts). An audit's `margins` setting can override it.
   */
  margin: number;
  /**
   * A set-level statistic of the items' records (ECE, format entropy); absent = the mean
   * of `values[name]` over the items where it is not null. Bootstrap and permutation
   * tests then resample items and recompute it.
   */
  aggregate?: (records: readonly MetricValues[]) => number;
  /**
   * Metrics with the same key measure the same thing on the same items (the chain-of-
   * thought accuracy every faithfulness probe reports): the ledger keeps one row, counts
   * it once in the p-value adjustment, and uses it for each sharing probe's hidden trade.
   */
  shared?: string;
  /**
   * "parent": the value is about the item's parent (its `variantOf`), as the N-1 probe's
   * id-accuracy is; the ledger's examples and the regression export then show the parent.
   */
  about?: "parent";
}

export interface ItemRecord {
  itemId: string;
  /**
   * The metrics' values, and any auxiliary numbers a set-level `aggregate` reads
   * (per-format counts, confidence); only names declared in `metrics` become ledger rows.
   */
  values: Record<string, number | null>;
  /** Why a value is null, or anything the reader should know about this item. */
  note?: string;
  /** What the report's item explorer shows: the response, forced answers, samples … (JSON). */
  detail: Record<string, unknown>;
}

/** A model with the format its prompts are rendered in. */
export interface PromptedModel {
  model: LanguageModel;
  render: Render;
  /** The format's name as recorded in the manifest ("raw", "chat", "template:…"). */
  format: string;
}

export interface ProbeContext {
  /** The audited model's prompt format. */
  render: Render;
  /** One fixed scorer for every model of the audit (the base in its own format), so the scorer does not drift (InfoGain). */
  scorer: PromptedModel;
  /** The reference for divergences (the base in its own format): drift's KL(base ‖ model). */
  reference: PromptedModel;
  /** The audit's seed; derive per-item seeds with itemSeed. */
  seed: number;
  /** Samples per prompt for sampling probes (format collapse, diversity, pass@k). */
  samples: number;
  /** Longest response generated, in tokens. */
  maxTokens: number;
  /** Requests per batch call. */
  batchSize: number;
  /** Any item of the run by id (N-1 variants look up their parents). */
  itemById(id: string): Item | undefined;
}

export interface Probe {
  /** "faithfulness.early-answering" */
  readonly id: string;
  /** Bump when what a record means changes: a stored run resumes only with the same version. */
  readonly version: number;
  readonly title: string;
  /** What it measures, in a sentence a non-specialist can read. */
  readonly description: string;
  /** The paper or definition it implements (each probe's is in docs/PROBES.md §3). */
  readonly reference: string;
  readonly metrics: readonly MetricSpec[];
  /** The ledger reports this probe's metrics per item domain (diversity, drift), not pooled. */
  readonly perDomain?: boolean;
  /**
   * N-1 variant items (those with `variantOf`) reach only probes that set this (the
   * near-neighbour probe); every other probe measures the in-distribution items.
   */
  readonly usesVariants?: boolean;
  /** Whether this probe has something to measure on `item`. */
  applies(item: Item): boolean;
  /** Why the probe cannot run on this model at all (e.g. it needs token log-probabilities), or undefined. */
  unavailable?(model: LanguageModel): string | undefined;
  /** One record per item, in any order, as they complete. */
  run(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): AsyncIterable<ItemRecord>;
}

/** A seed for (audit seed, item, purpose): independent of batch composition and run order. */
export function itemSeed(seed: number, itemId: string, salt = ""): number {
  return hash32(`${seed}\u0000${itemId}\u0000${salt}`);
}

/** The proxy and capability metrics of a probe, for checks and docs. */
export function metricsOf(probe: Probe, role: MetricRole): MetricSpec[] {
  return probe.metrics.filter((m) => m.role === role);
}
