/**
 * SoftCoT's rows (Xu et al. 2025, "SoftCoT: Soft Chain-of-Thought for Efficient Reasoning
 * with LLMs", arXiv 2502.12134, §3.2–3.3), in one of the lab's frames (data/frame.ts):
 *
 *   chat  assistant  <bos><|user|>{question}<unk>×k             its hidden states at the k <unk>s are the soft thoughts
 *         backbone   <bos><|user|>{question}[k soft]<|end|><|assistant|>{response}<|end|>
 *   raw   assistant  {question}<unk>×k
 *         backbone   {question}[k soft]{response}<eos>           (the question ends with the task's "Solution:\n")
 *
 * The paper's assistant reads an instruction, the question and k [UNK] tokens; its
 * backbone gets the projected thoughts after the question, inside the user turn. The
 * loss is on the response and the closing <|end|> (as sft's). Rows are right-padded with
 * <pad> to the longest row of the batch; causal attention keeps padding from the example.
 */
import { createRng } from "../random/index.js";
import type { Tokenizer, TrainBatch } from "../model/index.js";
import { stepSeed } from "./batches.js";
import type { ChatExample } from "./data/chat.js";
import { frameEnd, type Frame } from "./data/frame.js";

export interface SoftcotExample {
  id: string;
  /** The question's tokens (no chat markers). */
  question: Int32Array;
  /** The response's tokens followed by the frame's end (<|end|> or <eos>); empty at evaluation. */
  response: Int32Array;
}

export function encodeSoftcot(tok: Tokenizer, ex: ChatExample, frame: Frame = "chat"): SoftcotExample {
  return { id: ex.id, question: Int32Array.from(tok.encode(ex.prompt)), response: Int32Array.from([...tok.encode(ex.response), frameEnd(tok, frame)]) };
}

/** The frame's tokens before the question, and between the thoughts and the response. */
export function frameParts(tok: Tokenizer, frame: Frame): { before: number[]; after: number[] } {
  return frame === "chat" ? { before: [tok.bos, tok.idOf("<|user|>")], after: [tok.idOf("<|end|>"), tok.idOf("<|assistant|>")] } : { before: [], after: [] };
}

/** Tokens of the backbone's row (the k soft positions hold <unk>), and where its thoughts and response start. */
export function backboneIds(tok: Tokenizer, ex: SoftcotExample, k: number, frame: Frame = "chat"): { ids: number[]; thoughtStart: number; responseStart: number } {
  const { before, after } = frameParts(tok, frame);
  const head = [...before, ...ex.question];
  const ids = [...head, ...new Array<number>(k).fill(tok.unk), ...after, ...ex.response];
  return { ids, thoughtStart: head.length, responseStart: head.length + k + after.length };
}

/** Positions a backbone row needs (tokens fed; the last id is only a target). */
export function backbonePositions(ex: SoftcotExample, k: number, frame: Frame = "chat"): number {
  const extra = frame === "chat" ? 4 : 0;
  return extra + ex.question.length + k + ex.response.length - 1;
}

/** Positions the assistant's row needs. */
export function assistantPositions(ex: SoftcotExample, k: number, frame: Frame = "chat"): number {
  return (frame === "chat" ? 2 : 0) + ex.question.length + k;
}

/** The assistant's batch: one question per row, k <unk> after it; `thoughtRows` (B·k) index its hidden states. */
export function assistantBatch(tok: Tokenizer, exs: SoftcotExample[], k: number, frame: Frame = "chat"): { batch: TrainBatch; thoughtRows: Int32Array } {
  const B = exs.length;
  const T = Math.max(...exs.map((e) => assistantPositions(e, k, frame)));
  const tokens = new Int32Array(B * T).fill(tok.pad);
  const thoughtRows = new Int32Array(B * k);
  const { before } = frameParts(tok, frame);
  exs.forEach((e, b) => {
    const ids = [...before, ...e.question, ...new Array<number>(k).fill(tok.unk)];
    tokens.set(ids, b * T);
    for (let j = 0; j < k; j++) thoughtRows[b * k + j] = b * T + before.length + e.question.length + j;
  });
  // no loss on the assistant's own tokens: its gradient (if any) comes through the thoughts
  return { batch: { B, T, tokens, targets: tokens.slice(), mask: new Float32Array(B * T) }, thoughtRows };
}

/** The backbone's batch; `softRows` (B·k) are the rows whose input embedding the projected thoughts replace. */
export function backboneBatch(tok: Tokenizer, exs: SoftcotExample[], k: number, frame: Frame = "chat"): { batch: TrainBatch; softRows: Int32Array } {
  const B = exs.length;
  const T = Math.max(...exs.map((e) => backbonePositions(e, k, frame)));
  const batch: TrainBatch = { B, T, tokens: new Int32Array(B * T).fill(tok.pad), targets: new Int32Array(B * T).fill(tok.pad), mask: new Float32Array(B * T) };
  const softRows = new Int32Array(B * k);
  exs.forEach((e, b) => {
    const { ids, thoughtStart, responseStart } = backboneIds(tok, e, k, frame);
    const o = b * T;
    for (let j = 0; j + 1 < ids.length; j++) {
      batch.tokens[o + j] = ids[j];
      batch.targets[o + j] = ids[j + 1];
      batch.mask![o + j] = j + 1 >= responseStart ? 1 : 0;
    }
    for (let j = 0; j < k; j++) softRows[b * k + j] = o + thoughtStart + j;
  });
  return { batch, softRows };
}

/**
 * The examples of update `step`: a seeded permutation per epoch, the example at global
 * row g = step·B + b being perm(⌊g / n⌋)[g mod n] — data/chat.ts's order, so that a
 * softcot run and an sft run with the same seed and examples see the same examples per step.
 */
export function exampleOrder<E>(examples: E[], B: number, seed: number): (step: number) => E[] {
  const n = examples.length;
  let cached: { epoch: number; perm: number[] } | null = null;
  const permOf = (epoch: number): number[] => {
    if (cached?.epoch !== epoch) {
      const rng = createRng(stepSeed(seed, epoch));
      const perm = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      cached = { epoch, perm };
    }
    return cached.perm;
  };
  return (step) => Array.from({ length: B }, (_, b) => {
    const g = step * B + b;
    return examples[permOf(Math.floor(g / n))[g % n]];
  });
}
