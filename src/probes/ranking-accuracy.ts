/**
 * Closed-book recall by likelihood ranking (the multiple-choice scoring of
 * lm-evaluation-harness, "acc"; Gao et al. 2021): every option is scored as the
 * continuation of item.prompt, the option with the highest total log-probability is the
 * model's choice (ties go to the first), and the item is correct iff that is the gold
 * option. Needs no generation and no answer format, so it sees knowledge a model holds
 * even when it no longer says it (PROBES.md claim 1, knowledge retention).
 * NOTE: the total (not per-character) log-probability favours short options; every
 * option set of the lab world is scored the same way, so base and tuned compare fairly.
 */
import type { LanguageModel, ScoreRequest } from "../backends/index.js";
import type { WorldItem } from "../world/index.js";
import { type OnProgress, inBatches } from "./frame.js";

export interface RankingOptions {
  /** Score requests per scoreBatch call. Default 256. */
  batchSize?: number;
  /** Progress in items. */
  onProgress?: OnProgress;
}

export interface RankingRecord {
  id: string;
  correct: boolean;
  /** The option with the highest log-probability. */
  chosen: string;
  gold: string;
  /** 1 = the gold option ranks first (ties ordered as the options are). */
  goldRank: number;
  options: string[];
  /** log p(option | prompt) per option, in `options` order. */
  logprobs: number[];
}

/** The options of an item (meta.options) with its gold answer (answerText) among them. */
function optionsOf(item: WorldItem): string[] {
  const options = item.meta.options;
  if (!Array.isArray(options) || options.length === 0 || !options.every((o): o is string => typeof o === "string")) {
    throw new Error(`${item.id}: ranking needs meta.options, a non-empty list of option strings`);
  }
  if (!options.includes(item.answerText)) throw new Error(`${item.id}: the gold answer "${item.answerText}" is not among meta.options`);
  return options;
}

/** One record per item, in item order. */
export async function rankingAccuracy(model: LanguageModel, items: readonly WorldItem[], opts: RankingOptions = {}): Promise<RankingRecord[]> {
  const perItem = items.map(optionsOf);
  const requests: ScoreRequest[] = items.flatMap((it, i) => perItem[i].map((o) => ({ prompt: it.prompt, continuation: o })));
  // item boundaries in the flat request list, for progress in items
  const ends = perItem.reduce<number[]>((acc, o) => [...acc, (acc.at(-1) ?? 0) + o.length], []);
  const progress = opts.onProgress && ((done: number) => opts.onProgress!(ends.filter((e) => e <= done).length, items.length));
  const scores = await inBatches(requests, opts.batchSize ?? 256, (b) => model.scoreBatch(b), progress);
  let at = 0;
  return items.map((item, i) => {
    const options = perItem[i];
    const logprobs = scores.slice(at, at + options.length).map((s) => s.logprob);
    at += options.length;
    let best = 0;
    logprobs.forEach((lp, j) => {
      if (lp > logprobs[best]) best = j;
    });
    const g = options.indexOf(item.answerText);
    const goldRank = 1 + logprobs.filter((lp, j) => lp > logprobs[g] || (lp === logprobs[g] && j < g)).length;
    return { id: item.id, correct: best === g, chosen: options[best], gold: item.answerText, goldRank, options, logprobs };
  });
}
