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

/** A world item as a probe item: the gold answer, the gold steps of a reasoning task, options, the N-1 parent. */
export function fromWorld(w: WorldItem): Item {
  const item: Item = { id: w.id, prompt: w.prompt, answer: w.answerText, domain: WORLD_DOMAINS[w.task] ?? w.task, world: w };
  if (w.task === "arithmetic") {
    item.answer = String(w.answer);
    item.steps = w.answerText.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("Answer:"));
  }
  const options = w.meta.options;
  if (Array.isArray(options) && options.every((o) => typeof o === "string")) item.options = options as string[];
  if (w.parent) item.variantOf = w.parent.id;
  return item;
}
