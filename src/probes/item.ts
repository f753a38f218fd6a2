/**
 * The unit every probe measures: one question (or one reference document) with its gold
 * answer, from a built-in world suite or a user's JSONL dataset (src/audit reads both).
 * Items are plain data (JSON-serialisable): they are stored with a run and exported as
 * regression sets.
 */
import type { WorldItem } from "../world/index.js";

/** How a response is judged against `answer` for items that are not from the world (judge.ts). */
export const VERIFIERS = ["exact", "number", "choice", "json"] as const;
export type VerifierName = (typeof VERIFIERS)[number];

export interface Item {
  /** Unique within a run. */
  id: string;
  /** The question as the dataset states it, before any prompt format (no chat markers). */
  prompt: string;
  /**
   * The gold final answer as text: what follows the answer cue ("Answer: ") in a
   * reasoning response, or the whole first line of a direct one.
   */
  answer: string;
  /** Answer options, gold among them (ranking, calibration). */
  options?: string[];
  /** Gold reasoning steps, one per line, without the answer line. */
  steps?: string[];
  /** Default "exact". Ignored for world items: their task's own verifier judges them. */
  verifier?: VerifierName;
  /** The in-distribution item this one changes in one element (near-neighbour, N-1). */
  variantOf?: string;
  /**
   * The unit resampling must respect: items of one cluster are not independent (a parent
   * and its N-1 variants; one fact asked in several phrasings), so a bootstrap or
   * permutation that resamples items should draw whole clusters. Absent = the default of
   * clusterOf.
   */
  cluster?: string;
  /** What kind of text this is ("arithmetic", "code", "creative" …): diversity and drift are reported per domain. */
  domain: string;
  /** "question" (default) or "reference": a neutral document for the drift probe (prompt "", answer = the text). */
  role?: "question" | "reference";
  /** Items of the built-in world keep their world item (task, split, meta) for exact task verifiers. */
  world?: WorldItem;
}

/** A reasoning item: its responses are expected to be steps, then a line `Answer: …`. */
export function expectsReasoning(item: Item): boolean {
  return (item.steps !== undefined && item.steps.length > 0) || item.world?.task === "arithmetic";
}

export function isReference(item: Item): boolean {
  return item.role === "reference";
}

/** The domain each world task's text belongs to (diversity and drift are reported per domain). */
const WORLD_DOMAINS: Record<string, string> = {
  arithmetic: "arithmetic", knowledge: "knowledge", structured: "structured", programs: "code", stories: "creative",
};

/**
 * An item's cluster: its own `cluster`, else its N-1 parent (`variantOf`), else itself.
 * Every item has one, so a parent and its variants always share one.
 */
export function clusterOf(item: Item): string {
  return item.cluster ?? item.variantOf ?? item.id;
}

/**
 * The cluster of a world item: a knowledge item's fact ("knowledge/fact/Korian.town": the
 * same fact in another phrasing, or asked again, is the same unit); otherwise an N-1
 * variant's parent, and an in-distribution or ood item itself.
 */
function worldCluster(w: WorldItem): string {
  const fact = w.meta.fact;
  if (w.task === "knowledge" && typeof fact === "string") return `knowledge/fact/${fact}`;
  return w.parent?.id ?? w.id;
}

/** A world item as a probe item: the gold answer, the gold steps of a reasoning task, options, the N-1 parent, the cluster. */
export function fromWorld(w: WorldItem): Item {
  const item: Item = { id: w.id, prompt: w.prompt, answer: w.answerText, domain: WORLD_DOMAINS[w.task] ?? w.task, world: w };
  if (w.task === "arithmetic") {
    item.answer = String(w.answer);
    item.steps = w.answerText.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("Answer:"));
  }
  const options = w.meta.options;
  if (Array.isArray(options) && options.every((o) => typeof o === "string")) item.options = options as string[];
  if (w.parent) item.variantOf = w.parent.id;
  item.cluster = worldCluster(w);
  return item;
}
