/**
 * Imitation data: a teacher model's own continuations of world prompts, as training rows
 * with the loss on the continuation only. The student learns the teacher's outputs, not
 * the gold answers (sequence-level distillation, Kim & Rush 2016, §3; imitation of a
 * stronger model's outputs, Gudibande et al. 2023, "The False Promise of Imitating
 * Proprietary LLMs").
 *
 * Rows are in one of the frames of data/frame.ts (chat or raw); the teacher is prompted
 * with everything before the sample and stops at the frame's end token.
 * NOTE: a teacher pre-trained with the "blank-line" separator never says <eos>: its raw
 * samples run to maxTokens.
 *
 * A sample that reached maxTokens or the teacher's context is kept without an end token
 * (the teacher never said it ended there); an empty sample, and a prompt longer than the
 * teacher's context, are dropped and counted.
 */
import { generateTokens, type Tokenizer, type FinishReason, type Llama } from "../../model/index.js";
import { stepSeed } from "../batches.js";
import { encodedBatches, type ChatBatchSource, type EncodedChat } from "./chat.js";
import { frameEnd, framePrompt, type Frame } from "./frame.js";

export { FRAMES, frameEnd, framePrompt, type Frame } from "./frame.js";

/** Prompts per generateTokens call: enough to amortise the calls, few enough to stream progress. */
const SAMPLE_BATCH = 32;

export interface TeacherPrompt {
  /** The world item's id. */
  id: string;
  /** In the task's own frame (item.prompt). */
  prompt: string;
}

export interface TeacherSample extends TeacherPrompt {
  /** The teacher's tokens, without the end token. */
  tokens: number[];
  /** The same, as text (special tokens by name), for reading. */
  response: string;
  /** "stop": the teacher said the end token; "length" / "context": it was cut off. */
  finish: FinishReason;
}

export interface TeacherExamples {
  /** Non-empty samples, in prompt order. */
  samples: TeacherSample[];
  /** Ids whose sample was empty (the teacher ended at once). */
  empty: string[];
  /** Ids whose framed prompt is longer than the teacher's context. */
  promptTooLong: string[];
}

export interface TeacherSampling {
  frame: Frame;
  /** 0 = greedy. */
  temperature: number;
  maxTokens: number;
  /** Chunk k of SAMPLE_BATCH prompts samples with stepSeed(seed, k); its sequence i with that + i. */
  seed: number;
  /** Called after each chunk with the prompts sampled so far. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The teacher's samples for `prompts`: a pure function of the teacher's weights, the
 * prompts, the options and the kernels' arithmetic.
 */
export function teacherExamples(teacher: Llama<Float32Array>, tok: Tokenizer, prompts: TeacherPrompt[], o: TeacherSampling): TeacherExamples {
  const ctx = teacher.config.contextLength;
  const framed = prompts.map((p) => ({ ...p, head: framePrompt(tok, o.frame, p.prompt) }));
  const fits = framed.filter((p) => p.head.length <= ctx);
  const out: TeacherExamples = { samples: [], empty: [], promptTooLong: framed.filter((p) => p.head.length > ctx).map((p) => p.id) };
  for (let k = 0; k * SAMPLE_BATCH < fits.length; k++) {
    const chunk = fits.slice(k * SAMPLE_BATCH, (k + 1) * SAMPLE_BATCH);
    const gens = generateTokens(teacher, chunk.map((p) => p.head), {
      temperature: o.temperature, maxTokens: o.maxTokens, seed: stepSeed(o.seed, k), stopTokens: [frameEnd(tok, o.frame)],
    });
    chunk.forEach((p, i) => {
      const g = gens[i];
      if (g.tokens.length === 0) out.empty.push(p.id);
      else out.samples.push({ id: p.id, prompt: p.prompt, tokens: g.tokens, response: tok.decode(g.tokens), finish: g.finish });
    });
    o.onProgress?.(Math.min(fits.length, (k + 1) * SAMPLE_BATCH), fits.length);
  }
  return out;
}

/** A sample as a row: framed prompt, sample, and the end token only if the teacher said it. */
export function teacherRow(tok: Tokenizer, frame: Frame, s: TeacherSample): EncodedChat {
  const head = framePrompt(tok, frame, s.prompt);
  const ids = Int32Array.from([...head, ...s.tokens, ...(s.finish === "stop" ? [frameEnd(tok, frame)] : [])]);
  return { id: s.id, ids, responseStart: head.length };
}

/**
 * One row per (B, T) row, right-padded, the loss on the sample (fillRow); rows in a seeded
 * order, a fresh permutation per epoch, as data/chat.ts's encodedBatches.
 */
export function teacherBatches(tok: Tokenizer, all: EncodedChat[], B: number, T: number, seed: number): ChatBatchSource {
  return encodedBatches(tok, all, B, T, seed,
    (n) => `all ${n} teacher samples are longer than the sequence length ${T} (+1); raise seqLen (up to the base's context length) or lower teacherSampling.maxTokens`);
}
