/**
 * The pre-training corpus: raw documents from the world's tasks, mixed by weight and
 * packed into one token stream (issue 4: "pretrain on a weighted mixture of the world's
 * documents"; the arithmetic documents carry their own solution formatMix, the Echo
 * Chamber setup of Zhao et al. 2025, arXiv 2504.07912).
 *
 *   1. n_task = round(n · w_task / Σw) documents from each task (the last task takes the rest)
 *   2. one seeded shuffle of all documents (a function of the world seed only, so two
 *      runs of one world see the same corpus, whatever their --seed)
 *   3. packed: doc₁ SEP doc₂ SEP …, with SEP = <eos> or a blank line
 */
import { createRng, type Rng, sha256Of } from "../../random/index.js";
import type { Tokenizer } from "../../model/index.js";
import { arithmeticTask, knowledgeTask, type WorldSettings } from "../../world/index.js";
import { stepSeed } from "../batches.js";

export const CORPUS_TASKS = ["knowledge", "arithmetic"] as const;
export type CorpusTask = (typeof CORPUS_TASKS)[number];
export type Mixture = Record<CorpusTask, number>;
export type Separator = "eos" | "blank-line";

/** Documents per task for a corpus of n (weights need not sum to 1; their sum must be > 0). */
export function mixtureCounts(mixture: Mixture, n: number): Record<CorpusTask, number> {
  const total = CORPUS_TASKS.reduce((s, t) => s + mixture[t], 0);
  const counts = {} as Record<CorpusTask, number>;
  let left = n;
  CORPUS_TASKS.forEach((t, i) => {
    counts[t] = i === CORPUS_TASKS.length - 1 ? left : Math.round((n * mixture[t]) / total);
    left -= counts[t];
  });
  return counts;
}

function shuffle<T>(rng: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** The mixed, shuffled documents with their task (a pure function of world, mixture and n). */
export function corpusDocuments(world: WorldSettings, mixture: Mixture, n: number): { task: CorpusTask; text: string }[] {
  const counts = mixtureCounts(mixture, n);
  const docs: { task: CorpusTask; text: string }[] = [];
  for (const text of knowledgeTask.documents({ config: world.knowledge, seed: world.seed, n: counts.knowledge })) docs.push({ task: "knowledge", text });
  for (const text of arithmeticTask.documents({ config: world.arithmetic, seed: world.seed, n: counts.arithmetic })) docs.push({ task: "arithmetic", text });
  return shuffle(createRng(stepSeed(world.seed, 0x636f7270)), docs);
}

export interface PackedCorpus {
  stream: Int32Array;
  documents: Record<CorpusTask, number>;
  tokens: Record<CorpusTask, number>;
  sha256: string;
}

/** Token ids of the documents joined by the separator (one after every document). */
export function packCorpus(tok: Tokenizer, docs: { task: CorpusTask; text: string }[], separator: Separator): PackedCorpus {
  const sep = separator === "eos" ? [tok.eos] : tok.encode("\n\n");
  const ids: number[] = [];
  const documents = { knowledge: 0, arithmetic: 0 };
  const tokens = { knowledge: 0, arithmetic: 0 };
  for (const d of docs) {
    const t = tok.encode(d.text);
    for (const id of t) ids.push(id);
    for (const id of sep) ids.push(id);
    documents[d.task]++;
    tokens[d.task] += t.length + sep.length;
  }
  const stream = Int32Array.from(ids);
  return { stream, documents, tokens, sha256: sha256Of(stream) };
}
