/**
 * Supervised fine-tuning data in the chat format of the HF chat template
 * (src/formats/hf/tokenizer.ts), with no newlines between turns:
 *
 *   <bos><|user|>{prompt}<|end|><|assistant|>{response}<|end|>
 *
 * Loss on the response only: a target counts (mask 1) iff it is a response token or
 * the assistant's closing <|end|>. One example per (B, T) row, right-padded with <pad>
 * (mask 0); causal attention keeps padding from touching the example. An example with
 * more than T + 1 tokens does not fit a row and is dropped (and counted).
 */
import { createRng, sha256Of } from "../../random/index.js";
import { type Tokenizer, type TrainBatch } from "../../model/index.js";
import { stepSeed, type BatchSource } from "../batches.js";

export interface ChatExample {
  id: string;
  prompt: string;
  response: string;
}

export interface EncodedChat {
  id: string;
  /** The whole sequence, <bos> to the closing <|end|>. */
  ids: Int32Array;
  /** Index in `ids` of the first response token (right after <|assistant|>). */
  responseStart: number;
}

export function encodeChat(tok: Tokenizer, ex: ChatExample): EncodedChat {
  const head = [tok.bos, tok.idOf("<|user|>"), ...tok.encode(ex.prompt), tok.idOf("<|end|>"), tok.idOf("<|assistant|>")];
  const ids = Int32Array.from([...head, ...tok.encode(ex.response), tok.idOf("<|end|>")]);
  return { id: ex.id, ids, responseStart: head.length };
}

/** Write one example into row `b` of a batch: tokens ids[0..L-2], targets ids[1..L-1], the rest padding. */
export function fillRow(batch: TrainBatch, b: number, ex: EncodedChat, pad: number): void {
  const { T } = batch;
  const n = ex.ids.length - 1; // (token, target) pairs
  if (n > T) throw new Error(`example ${ex.id} has ${n} positions; a row holds ${T}`);
  const o = b * T;
  for (let j = 0; j < T; j++) {
    const inside = j < n;
    batch.tokens[o + j] = inside ? ex.ids[j] : pad;
    batch.targets[o + j] = inside ? ex.ids[j + 1] : pad;
    batch.mask![o + j] = inside && j + 1 >= ex.responseStart ? 1 : 0;
  }
}

export interface ChatBatchSource extends BatchSource {
  examples: EncodedChat[];
  dropped: string[];
}

/**
 * Rows are examples in a seeded order, a fresh permutation per epoch; the example at
 * global row g = step·B + b is perm(⌊g / n⌋)[g mod n], a pure function of the step.
 */
export function chatBatches(tok: Tokenizer, all: ChatExample[], B: number, T: number, seed: number): ChatBatchSource {
  return encodedBatches(tok, all.map((e) => encodeChat(tok, e)), B, T, seed,
    (n) => `all ${n} examples are longer than the sequence length ${T} (+1); raise seqLen (up to the base's context length) or use shorter examples`);
}

/** The order of n rows in `epoch`: a seeded permutation (encodedBatches; dpo's pairs; `ftledger lab data`). */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  const rng = createRng(stepSeed(seed, epoch));
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

/** Batches of already encoded rows (chatBatches; imitation's teacher samples); `tooLong` says what to do when none fits. */
export function encodedBatches(
  tok: Tokenizer, encoded: EncodedChat[], B: number, T: number, seed: number, tooLong: (n: number) => string,
): ChatBatchSource {
  const examples = encoded.filter((e) => e.ids.length - 1 <= T);
  const dropped = encoded.filter((e) => e.ids.length - 1 > T).map((e) => e.id);
  const n = examples.length;
  let cached: { epoch: number; perm: number[] } | null = null;
  const permOf = (epoch: number): number[] => {
    if (cached?.epoch !== epoch) cached = { epoch, perm: epochOrder(n, seed, epoch) };
    return cached.perm;
  };
  const maxLength = examples.reduce((m, e) => Math.max(m, e.ids.length - 1), 0);
  return {
    examples,
    dropped,
    problem: n > 0 ? undefined : encoded.length > 0 ? tooLong(encoded.length) : "there are no examples to train on",
    info: {
      examples: n,
      dropped: dropped.length,
      maxPositions: maxLength,
      responseTokens: examples.reduce((s, e) => s + e.ids.length - e.responseStart, 0),
      sha256: sha256Of(...examples.map((e) => e.ids)),
    },
    batch(step: number): TrainBatch {
      const batch: TrainBatch = { B, T, tokens: new Int32Array(B * T), targets: new Int32Array(B * T), mask: new Float32Array(B * T) };
      for (let b = 0; b < B; b++) {
        const g = step * B + b;
        fillRow(batch, b, examples[permOf(Math.floor(g / n))[g % n]], tok.pad);
      }
      return batch;
    },
  };
}
