/**
 * Verification examples: teach the frame the audit's self-verification.gap probe asks
 * (src/world verification.ts; Song et al. 2024, "Mind the Gap", arXiv 2412.02674),
 * in sft's chat rows (data/chat.ts):
 *
 *   <bos><|user|>{question}<|end|><|assistant|>{solution}\nIs this answer correct? Yes<|end|>
 *
 * with the loss on the verdict (" Yes" / " No") and the closing <|end|> only — never on
 * the solution, half of which are wrong on purpose. The probe renders a tuned model's
 * prompt in the chat format and appends the model's own sample and the question, so a row
 * here is token for token what the probe scores.
 *
 * From arithmetic items [offset, offset + count) of the id split: exactly half (⌈n/2⌉, seeded
 * positions) keep the item's correct solution; the others are corrupted, one of three kinds
 * drawn uniformly (seeded):
 *   step      one step's result is off by 1..5; later steps carry the wrong value on, correctly
 *   operand   one step uses an operand off by 1..5 (the chain is right, the problem misread)
 *   answer    every step right, the Answer line off by 1..5
 * The verdict is the world's own verifier on the written solution (so it agrees with the
 * probe's ground truth by construction): " Yes" iff it is correct.
 */
import { createRng, hash32, type Rng } from "../../random/index.js";
import type { Tokenizer } from "../../model/index.js";
import {
  NO, VERIFICATION_QUESTION, YES, arithmetic, arithmeticTask, type ArithmeticItem, type SolutionFormat, type WorldSettings,
} from "../../world/index.js";
import type { EncodedChat } from "./chat.js";
import { framePrompt } from "./frame.js";

export const CORRUPTIONS = ["step", "operand", "answer"] as const;
export type Corruption = (typeof CORRUPTIONS)[number];

export interface VerificationExample {
  id: string;
  /** The question in the task's own frame (the item's prompt). */
  prompt: string;
  /** The written solution that is judged. */
  solution: string;
  /** " Yes" or " No" (with its leading space, as the probe scores it). */
  verdict: typeof YES | typeof NO;
  /** How the solution was made wrong; absent for a correct one. */
  corruption?: Corruption;
}

export interface VerificationOptions {
  world: WorldSettings;
  count: number;
  offset: number;
  /** "item": each item's own solution format (world.arithmetic.formatMix). */
  format: "item" | SolutionFormat;
  /** Salt for which items are corrupted and how; a function of this and the world only. */
  salt?: string;
}

type Step = arithmetic.Step;

/** The steps after `from` recomputed from the (possibly changed) step `from` on; null if a value turns negative. */
function carryOn(steps: Step[], from: number): Step[] | null {
  const out = steps.map((s) => ({ ...s }));
  for (let i = from + 1; i < out.length; i++) {
    out[i].a = out[i - 1].result;
    out[i].result = arithmetic.applyOp(out[i].a, out[i].op, out[i].b);
    if (out[i].result < 0) return null;
  }
  return out;
}

function offBy(rng: Rng, x: number): number {
  const d = 1 + rng.int(5);
  return x - d >= 0 && rng.next() < 0.5 ? x - d : x + d;
}

/** A wrong solution of `item` by `kind` in `format`; falls back to an "answer" corruption when the kind cannot make one. */
export function corruptSolution(item: ArithmeticItem, format: SolutionFormat, kind: Corruption, rng: Rng): { text: string; kind: Corruption } {
  const steps = item.meta.steps;
  for (let attempt = 0; kind !== "answer" && attempt < 20; attempt++) {
    const j = rng.int(steps.length);
    const changed = steps.map((s) => ({ ...s }));
    if (kind === "step") changed[j].result = offBy(rng, steps[j].result);
    else {
      changed[j].b = offBy(rng, steps[j].b);
      changed[j].result = arithmetic.applyOp(changed[j].a, changed[j].op, changed[j].b);
    }
    if (changed[j].result < 0) continue;
    const carried = carryOn(changed, j);
    if (!carried) continue;
    const answer = carried[carried.length - 1].result;
    if (answer === item.answer || answer < 0) continue;
    return { text: arithmetic.renderSolution(format, carried, answer), kind };
  }
  return { text: arithmetic.renderSolution(format, steps, offBy(rng, item.answer)), kind: "answer" };
}

/** The verification examples of items [offset, offset + count): half correct, half corrupted, seeded. */
export function verificationExamples(o: VerificationOptions): VerificationExample[] {
  const items = arithmeticTask.items({ config: o.world.arithmetic, seed: o.world.seed, split: "id", n: o.offset + o.count }).slice(o.offset) as ArithmeticItem[];
  const rng = createRng(hash32(`verification/${o.salt ?? ""}/${o.world.seed}/${o.offset}/${o.count}`));
  // exactly ⌈n/2⌉ correct, at seeded positions (a Fisher–Yates shuffle of the labels)
  const correct = items.map((_, i) => i < Math.ceil(items.length / 2));
  for (let i = correct.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [correct[i], correct[j]] = [correct[j], correct[i]];
  }
  return items.map((it, i) => {
    const format = o.format === "item" ? it.meta.format : o.format;
    const made = correct[i] ? { text: it.meta.solutions[format] } : corruptSolution(it, format, CORRUPTIONS[rng.int(CORRUPTIONS.length)], rng);
    const ok = arithmeticTask.verify(it, made.text).correct;
    if (ok !== correct[i]) throw new Error(`verification example ${it.id}: the ${correct[i] ? "correct" : "corrupted"} solution does not verify as such (a bug in corruptSolution)`);
    const ex: VerificationExample = { id: `verification/${it.id}`, prompt: it.prompt, solution: made.text, verdict: ok ? YES : NO };
    if ("kind" in made) ex.corruption = made.kind;
    return ex;
  });
}

/** A chat row whose loss falls on the verdict and the closing <|end|> only (responseStart is the verdict's first token). */
export function encodeVerification(tok: Tokenizer, ex: VerificationExample): EncodedChat {
  const head = [...framePrompt(tok, "chat", ex.prompt), ...tok.encode(ex.solution + VERIFICATION_QUESTION)];
  const ids = Int32Array.from([...head, ...tok.encode(ex.verdict), tok.idOf("<|end|>")]);
  return { id: ex.id, ids, responseStart: head.length };
}
