/**
 * The synthetic world's contract: every task is a seeded generator of items with an
 * exact verifier, an in-distribution split and a near-neighbour (N-1) split whose items
 * each differ from one in-distribution item by one element and carry their own answer.
 * Raw documents (for pre-training) and chat-format items (for fine-tuning) come from
 * the same generator, each task in its own prompt frame.
 */

export type Split = "id" | "n1" | "ood";

export interface WorldItem<Answer = unknown> {
  /** Stable and unique: `${task}/${split}/${seed}/${index}`. */
  id: string;
  task: string;
  split: Split;
  /** The question in this task's own prompt frame (no chat markers). */
  prompt: string;
  /** The gold answer as data (a number, an option, a JSON object …). */
  answer: Answer;
  /** The canonical text of the gold answer, as a model should write it. */
  answerText: string;
  /** For an N-1 item: the id of the in-distribution item it changes in one element, and what changed. */
  parent?: { id: string; change: string };
  /** Task-specific data for probes (options for ranking, steps, format, difficulty …). */
  meta: Record<string, unknown>;
}

export interface Verdict {
  correct: boolean;
  /** Why not, in a few words (for reports and regression sets). */
  reason?: string;
}

export interface Task<Answer = unknown, Config = unknown> {
  name: string;
  description: string;
  /** Defaults for this task's difficulty knobs. */
  defaults: Config;
  /** `n` items of one split, a pure function of (config, seed, split, n). */
  items(a: { config: Config; seed: number; split: Split; n: number }): WorldItem<Answer>[];
  /** Is `response` (the model's full text answer) correct for `item`? Exact, never fuzzy. */
  verify(item: WorldItem<Answer>, response: string): Verdict;
  /** Raw pre-training documents, a pure function of (config, seed, n). */
  documents(a: { config: Config; seed: number; n: number }): string[];
}
