/**
 * Greedy answers of a SoftCoT model and of plain models in the same chat frame, for the
 * softcot recipe's evaluation (a SoftCoT model is not a LanguageModel checkpoint, so the
 * audit cannot open it). The backbone's prompt, in the chat frame (raw: the question alone,
 * data/frame.ts), is
 *
 *   <bos><|user|>{question}[k soft thoughts]<|end|><|assistant|>   (softcot-data.ts)
 *   <bos><|user|>{question}<|end|><|assistant|>                    (a plain model: base, sft)
 *
 * and it decodes greedily until <|end|> or <eos>, `maxTokens` or the context runs out.
 * Scoring uses the world's exact verifier (the audit's task.accuracy does the same).
 */
import { KvCache, argmax, inferForward, type Tokenizer, type Llama, type Segment } from "../model/index.js";
import type { Frame } from "./data/frame.js";
import { frameParts, type SoftcotExample } from "./softcot-data.js";
import { softThoughts, type SoftcotModel } from "./softcot-model.js";

interface Decoding {
  caches: KvCache[];
  /** The logits after each sequence's prompt. */
  logits: Float32Array[];
}

/** Greedy continuation of prefilled sequences, batched over the live ones. */
function decodeGreedy(model: Llama<Float32Array>, tok: Tokenizer, d: Decoding, maxTokens: number): number[][] {
  const stop = new Set([tok.idOf("<|end|>"), tok.eos]);
  const out: number[][] = d.caches.map(() => []);
  let live = d.caches.map((_, i) => i);
  let logits = d.logits;
  for (let step = 0; step < maxTokens && live.length > 0; step++) {
    const still: number[] = [];
    const next: number[] = [];
    live.forEach((seq, j) => {
      const t = argmax(logits[j]);
      if (stop.has(t)) return;
      out[seq].push(t);
      if (d.caches[seq].length < model.config.contextLength && step + 1 < maxTokens) {
        still.push(seq);
        next.push(t);
      }
    });
    live = still;
    if (live.length === 0) break;
    logits = inferForward(model, live.map((seq, j) => ({ cache: d.caches[seq], tokens: Int32Array.of(next[j]), logits: "last" as const })));
  }
  return out;
}

const chunks = <T>(xs: T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));

/** Greedy responses of the SoftCoT model (backbone with the assistant's projected thoughts). */
export function softcotRespond(m: SoftcotModel, questions: SoftcotExample[], o: { maxTokens: number; batch?: number }): string[] {
  const tok = m.tokenizer;
  const C = m.backbone.config.dim;
  const { before, after } = frameParts(tok, m.frame);
  const out: string[] = [];
  for (const exs of chunks(questions, o.batch ?? 32)) {
    const { thoughts } = softThoughts(m, exs);
    const caches = exs.map(() => new KvCache(m.backbone.config));
    const seg = (f: (e: SoftcotExample, i: number) => Omit<Segment, "cache">) => exs.map((e, i) => ({ cache: caches[i], ...f(e, i) }));
    inferForward(m.backbone, seg((e) => ({ tokens: Int32Array.from([...before, ...e.question]), logits: "none" })));
    let logits = inferForward(m.backbone, seg((_, i) => ({ tokens: null, embeds: thoughts.slice(i * m.k * C, (i + 1) * m.k * C), logits: "last" })));
    if (after.length > 0) logits = inferForward(m.backbone, seg(() => ({ tokens: Int32Array.from(after), logits: "last" })));
    for (const ids of decodeGreedy(m.backbone, tok, { caches, logits }, o.maxTokens)) out.push(tok.decode(ids, { skipSpecial: true }));
  }
  return out;
}

/** Greedy responses of a plain model in the same frame, with no thoughts. */
export function plainRespond(model: Llama<Float32Array>, tok: Tokenizer, questions: SoftcotExample[], o: { frame: Frame; maxTokens: number; batch?: number }): string[] {
  const { before, after } = frameParts(tok, o.frame);
  const out: string[] = [];
  for (const exs of chunks(questions, o.batch ?? 32)) {
    const caches = exs.map(() => new KvCache(model.config));
    const logits = inferForward(model, exs.map((e, i) => ({
      cache: caches[i], tokens: Int32Array.from([...before, ...e.question, ...after]), logits: "last" as const,
    })));
    for (const ids of decodeGreedy(model, tok, { caches, logits }, o.maxTokens)) out.push(tok.decode(ids, { skipSpecial: true }));
  }
  return out;
}
