/**
 * One round's generation and verification for the self-improvement loop (self-improve.ts;
 * Song et al. 2024, "Mind the Gap", arXiv 2412.02674, §2: generate, verify, filter):
 * k samples per prompt at temperature 1 in sft's chat frame (data/frame.ts), each judged by
 * the world's verifier (`correct`) and by the model itself in the audit's verification
 * frame (src/world verification.ts) — the same tokens the self-verification.gap probe
 * scores for a chat-format model:
 *
 *   <bos><|user|>{question}<|end|><|assistant|>{sample}\nIs this answer correct?   then " Yes" / " No"
 *
 * A sample is self-accepted iff log p(" Yes") > log p(" No") (a tie rejects, as in the probe);
 * one whose verification prompt does not fit the context is not scored and not self-accepted.
 * Everything is a pure function of (weights, items, options): a resumed loop regenerates
 * nothing, but could.
 */
import { generateTokens, scoreContinuations, type Tokenizer, type Llama } from "../model/index.js";
import { NO, VERIFICATION_QUESTION, YES, arithmeticTask, type WorldItem } from "../world/index.js";
import { frameEnd, framePrompt } from "./data/frame.js";

export interface RoundSample {
  /** The item it answers (its id). */
  item: string;
  text: string;
  /** The world's verifier. */
  correct: boolean;
  /** log p(" Yes") and log p(" No") after the verification prompt; null when it does not fit the context. */
  yes: number | null;
  no: number | null;
  /** Cut short by maxTokens or the context. */
  truncated: boolean;
}

export interface SampleOptions {
  k: number;
  temperature: number;
  maxTokens: number;
  seed: number;
}

/** Rows scored per forward pass (bounds activation memory of the scoring batch). */
const SCORE_GROUP = 32;

export function selfAccepts(s: Pick<RoundSample, "yes" | "no">): boolean {
  return s.yes !== null && s.no !== null && s.yes > s.no;
}

/** k samples for each item (item-major), each with its verdicts. */
export function sampleAndVerify(model: Llama<Float32Array>, tok: Tokenizer, items: readonly WorldItem[], o: SampleOptions): RoundSample[] {
  const prompts = items.flatMap((it) => Array.from({ length: o.k }, () => framePrompt(tok, "chat", it.prompt)));
  const gens = generateTokens(model, prompts, { maxTokens: o.maxTokens, temperature: o.temperature, seed: o.seed, stopTokens: [frameEnd(tok, "chat"), tok.eos] });
  const texts = gens.map((g) => tok.decode(g.tokens, { skipSpecial: true }));
  const yes = tok.encode(YES);
  const no = tok.encode(NO);
  const ctx = model.config.contextLength;
  // the verification prompt from the text, as the probe builds it (a sample's special tokens are not part of its text)
  const heads = texts.map((t, r) => [...prompts[r], ...tok.encode(t + VERIFICATION_QUESTION)]);
  const fits = heads.map((h) => h.length + Math.max(yes.length, no.length) - 1 <= ctx);
  const requests = heads.flatMap((h, r) => (fits[r] ? [{ prompt: h, continuation: yes }, { prompt: h, continuation: no }] : []));
  const scores: number[] = [];
  for (let at = 0; at < requests.length; at += SCORE_GROUP) {
    for (const s of scoreContinuations(model, requests.slice(at, at + SCORE_GROUP))) scores.push(s.logprobs.reduce((a, b) => a + b, 0));
  }
  let j = 0;
  return texts.map((text, r) => {
    const item = items[Math.floor(r / o.k)];
    const scored = fits[r];
    const s: RoundSample = {
      item: item.id, text, correct: arithmeticTask.verify(item as WorldItem<number>, text).correct,
      yes: scored ? scores[j] : null, no: scored ? scores[j + 1] : null, truncated: gens[r].finish !== "stop",
    };
    if (scored) j += 2;
    return s;
  });
}
