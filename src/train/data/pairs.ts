/**
 * Preference pairs for DPO (Rafailov et al. 2023, arXiv 2305.18290, §4): a prompt x, a
 * chosen response y_w and a rejected one y_l. They come from the world (built here, from
 * each item's own solutions, checked by the world's verifier) or from a user's JSONL file
 * (pairs-jsonl.ts).
 *
 * World pairs (arithmetic, the task with solution formats), one per id item of
 * [offset, offset + count):
 *   chosen    the item's solution in the target format — verified correct, in the target format
 *   rejected  by `rejected`:
 *     other-format  the item's correct solution in one of the two other formats
 *     wrong-answer  the target format with the last step's result and the Answer line
 *                   changed to a wrong number (the true one ± 1..5, never negative)
 *     mixed         each pair one of the two, half each
 * Every random choice is seeded by the world seed and the item's id (hash32), so the pairs
 * are a function of the world and the config alone; the run seed only orders them.
 *
 * A pair is encoded as two rows in a frame (data/frame.ts): framed prompt, response, the
 * frame's end token. Its response span (the targets of the response and the end token) is
 * where log π(y|x) is summed, as sft's loss mask (data/chat.ts fillRow).
 */
import { createRng, hash32, sha256Of } from "../../random/index.js";
import type { Tokenizer } from "../../model/index.js";
import {
  SOLUTION_FORMATS, arithmetic, arithmeticTask, solutionClassOf, type ArithmeticItem, type SolutionFormat, type WorldSettings,
} from "../../world/index.js";
import { frameEnd, framePrompt, type Frame } from "./frame.js";

export interface PreferencePair {
  id: string;
  prompt: string;
  chosen: string;
  rejected: string;
}

export const REJECTED_KINDS = ["other-format", "wrong-answer", "mixed"] as const;
export type RejectedKind = (typeof REJECTED_KINDS)[number];

export interface WorldPairOptions {
  world: WorldSettings;
  target: SolutionFormat;
  rejected: RejectedKind;
  count: number;
  offset: number;
}

/** A wrong but well-formed solution: the last step's result and the answer moved by ±1..5 (≥ 0). */
function wrongAnswer(item: ArithmeticItem, format: SolutionFormat, u: () => number): string {
  const steps = item.meta.steps;
  const last = steps[steps.length - 1];
  const candidates: number[] = [];
  for (let d = 1; d <= 5; d++) {
    candidates.push(last.result + d);
    if (last.result - d >= 0) candidates.push(last.result - d);
  }
  const wrong = candidates[Math.floor(u() * candidates.length)];
  return arithmetic.renderSolution(format, [...steps.slice(0, -1), { ...last, result: wrong }], wrong);
}

/** The world's pairs (module comment); each is checked against the verifier and the format classifier. */
export function worldPairs(o: WorldPairOptions): PreferencePair[] {
  const n = o.offset + o.count;
  const items = arithmeticTask.items({ config: o.world.arithmetic, seed: o.world.seed, split: "id", n }).slice(o.offset) as ArithmeticItem[];
  const others = SOLUTION_FORMATS.filter((f) => f !== o.target);
  return items.map((it) => {
    const rng = createRng(hash32(`dpo-pair/${o.world.seed}/${it.id}`));
    const u = () => rng.next();
    const kind = o.rejected === "mixed" ? (u() < 0.5 ? "other-format" : "wrong-answer") : o.rejected;
    const chosen = it.meta.solutions[o.target];
    const rejected = kind === "other-format" ? it.meta.solutions[others[Math.floor(u() * others.length)]] : wrongAnswer(it, o.target, u);
    // the definition, checked: chosen verified in the target format; rejected wrong or in another format
    if (!arithmeticTask.verify(it, chosen).correct || solutionClassOf(chosen) !== o.target) throw new Error(`dpo pairs: ${it.id}: the chosen solution does not verify in ${o.target}`);
    if (arithmeticTask.verify(it, rejected).correct && solutionClassOf(rejected) === o.target) throw new Error(`dpo pairs: ${it.id}: the rejected solution is correct in ${o.target}`);
    return { id: it.id, prompt: it.prompt, chosen, rejected };
  });
}

export interface EncodedPair {
  id: string;
  /** Token ids of the two rows, framed prompt to end token. */
  chosen: Int32Array;
  rejected: Int32Array;
  /** Index of the first response token in both rows (they share the prompt). */
  responseStart: number;
}

export function encodePair(tok: Tokenizer, frame: Frame, p: PreferencePair): EncodedPair {
  const head = framePrompt(tok, frame, p.prompt);
  const end = frameEnd(tok, frame);
  const row = (response: string) => Int32Array.from([...head, ...tok.encode(response), end]);
  return { id: p.id, chosen: row(p.chosen), rejected: row(p.rejected), responseStart: head.length };
}

/** Positions a pair needs in a (B, T) row: its longer row's length − 1. */
export const pairPositions = (e: EncodedPair) => Math.max(e.chosen.length, e.rejected.length) - 1;

export interface EncodedPairs {
  /** Pairs whose rows both fit T + 1 tokens, in source order. */
  pairs: EncodedPair[];
  kept: PreferencePair[];
  /** Ids of pairs that do not fit. */
  dropped: string[];
  sha256: string;
}

/** Encode and keep the pairs that fit rows of T positions (a longer pair is dropped and counted, as sft's examples). */
export function encodePairs(tok: Tokenizer, frame: Frame, all: PreferencePair[], T: number): EncodedPairs {
  const out: EncodedPairs = { pairs: [], kept: [], dropped: [], sha256: "" };
  for (const p of all) {
    const e = encodePair(tok, frame, p);
    if (pairPositions(e) <= T) {
      out.pairs.push(e);
      out.kept.push(p);
    } else out.dropped.push(p.id);
  }
  out.sha256 = sha256Of(...out.pairs.flatMap((e) => [e.chosen, e.rejected]));
  return out;
}
