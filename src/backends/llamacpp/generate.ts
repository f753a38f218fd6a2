/**
 * Generation on llama.cpp, one token at a time on a context sequence.
 *
 * Each step asks `controlledEvaluate` for the full, untempered next-token distribution
 * and draws the token with the engine's own sampler (src/model `sampleToken`:
 * temperature, top-k, top-p) from a seeded generator, sample i using seed + i. So:
 * per-token logprobs are those of the model (not of the tempered, truncated sampling
 * distribution that llama.cpp's sampler reports), and a seeded request draws the same
 * tokens as the builtin engine backend given the same distributions.
 *
 * Chat messages are formatted with the GGUF's `tokenizer.chat_template` (Jinja, rendered
 * by @huggingface/jinja as transformers' apply_chat_template does).
 *
 * Token healing (../healing.ts), when the tokenizer merges characters and the prompt ends
 * in whitespace W: the prompt is evaluated without W, the first token is drawn from the
 * tokens that spell W (renormalised over them: that is its reported logprob), and W is
 * stripped from the front of the text before stop strings are looked for.
 */
import { Template } from "@huggingface/jinja";
import type { Token } from "node-llama-cpp";
import { createRng } from "../../random/index.js";
import { argmax, sampleToken } from "../../model/index.js";
import { Healer, renormaliseOver, stripHealed, type Heal } from "../healing.js";
import type { ChatMessage, FinishReason, GenerateRequest, Generation, Sample } from "../language-model.js";
import { greedyOf, logprobsOf } from "./probs.js";
import { detokenize, maxEvaluable, promptIds, type Runtime } from "./runtime.js";

/** The chat messages as prompt text, through the GGUF's chat template. */
export function renderChat(rt: Runtime, messages: ChatMessage[]): string {
  if (!rt.chatTemplate) {
    throw new Error(`${rt.file}: the GGUF has no tokenizer.chat_template, so chat messages cannot be formatted. Send a plain \`prompt\` formatted as the model expects, or use a GGUF that carries its chat template.`);
  }
  try {
    return new Template(rt.chatTemplate).render({
      messages,
      add_generation_prompt: true,
      bos_token: rt.model.tokens.bosString ?? "",
      eos_token: rt.model.tokens.eosString ?? "",
    });
  } catch (e) {
    throw new Error(`${rt.file}: the GGUF's chat template failed to render: ${(e as Error).message}. Send a plain \`prompt\` instead.`);
  }
}

function checkRequest(rt: Runtime, req: GenerateRequest): void {
  const bad = (what: string) => new Error(`${rt.file}: generate: ${what}`);
  if (!(Number.isInteger(req.maxTokens) && req.maxTokens >= 0)) throw bad(`maxTokens must be a non-negative integer, got ${req.maxTokens}`);
  const n = req.n ?? 1;
  if (!(Number.isInteger(n) && n >= 1)) throw bad(`n must be a positive integer, got ${n}`);
  if ((req.temperature ?? 1) < 0) throw bad(`temperature must be ≥ 0, got ${req.temperature}`);
  if (req.topP !== undefined && !(req.topP > 0 && req.topP <= 1)) throw bad(`topP must be in (0, 1], got ${req.topP}`);
  if (req.topK !== undefined && !(Number.isInteger(req.topK) && req.topK >= 0)) throw bad(`topK must be a non-negative integer, got ${req.topK}`);
  if (req.stop?.some((s) => s === "")) throw bad("a stop string is empty");
}

export async function generateOne(rt: Runtime, req: GenerateRequest): Promise<Generation> {
  checkRequest(rt, req);
  const full = req.messages ? renderChat(rt, req.messages) : req.prompt;
  // a chat template's closing whitespace is the trained answer position: never healed
  const heal = req.messages ? null : healFor(rt, full);
  const ids = promptIds(rt, heal ? heal.head : full);
  if (ids.length === 0) throw new Error(`${rt.file}: generate: the prompt is empty and the model has no BOS token to start from. Give a non-empty prompt.`);
  if (ids.length > maxEvaluable(rt)) {
    throw new Error(`${rt.file}: generate: the prompt is ${ids.length} tokens but the context holds ${maxEvaluable(rt)}. Shorten it or open the model with a larger contextSize.`);
  }
  // NOTE: an unseeded request draws a seed, so it is never reproducible (and never cached)
  const seed = req.seed ?? Math.floor(Math.random() * 2 ** 31);
  const n = req.n ?? 1;
  const samples = await Promise.all(Array.from({ length: n }, (_, i) => rt.withSequence((seq) => sampleOne(rt, seq, ids, req, seed + i, heal))));
  return { samples };
}

/** Each model's healer (a token's text is a call into llama.cpp: read once per model). */
const healers = new WeakMap<Runtime, Healer>();

/** Token healing for a prompt; null: the tokenizer is not a byte-level BPE, the prompt does not end in whitespace, or no token starts with it. */
function healFor(rt: Runtime, text: string): Heal | null {
  if (!rt.mergesTokens) return null;
  let healer = healers.get(rt);
  if (!healer) healers.set(rt, (healer = new Healer(() => Array.from({ length: rt.vocabSize }, (_, id) => rt.tokenText(id)))));
  return healer.heal(text);
}

type Sequence = Parameters<Parameters<Runtime["withSequence"]>[0]>[0];

async function sampleOne(rt: Runtime, seq: Sequence, prompt: number[], req: GenerateRequest, seed: number, heal: Heal | null): Promise<Sample> {
  // the text after the original prompt: the healed whitespace stripped
  const view = (ids: readonly number[]) => (heal ? stripHealed(detokenize(rt, ids), heal.w) : detokenize(rt, ids));
  const rng = createRng(seed);
  const sampling = { temperature: req.temperature ?? 1, topK: req.topK ?? 0, topP: req.topP ?? 1 };
  const out: number[] = [];
  const logprobs: number[] = [];
  let finish: FinishReason = "length";
  let text = "";
  let cut = false;
  let input = prompt;
  for (let step = 0; step < req.maxTokens; step++) {
    if (seq.nextTokenIndex + input.length > maxEvaluable(rt)) {
      finish = "context";
      break;
    }
    const items = input.map((t, i) => (i === input.length - 1 ? ([t as Token, { generateNext: { probabilities: true } }] as const) : (t as Token)));
    const res = await seq.controlledEvaluate(items as Parameters<Sequence["controlledEvaluate"]>[0]);
    const probs = res[input.length - 1]?.next.probabilities;
    const where = `generated position ${out.length}`;
    // greedy needs only the argmax (sampleToken's own rule at temperature 0, no draw); sampling the whole distribution
    let tok: number;
    let logprob: number;
    if (heal && step === 0) {
      // healing: only tokens that spell the cut whitespace, renormalised over them (the logprob reported is this one)
      const lp = renormaliseOver(logprobsOf(rt, probs, where), heal.allowed);
      tok = sampling.temperature <= 0 ? argmax(lp) : sampleToken(lp, sampling, rng);
      logprob = lp[tok];
    } else if (sampling.temperature <= 0) ({ id: tok, logprob } = greedyOf(rt, probs, where));
    else {
      const lp = logprobsOf(rt, probs, where);
      tok = sampleToken(lp, sampling, rng);
      logprob = lp[tok];
    }
    if (rt.model.isEogToken(tok as Token)) {
      finish = "stop";
      break;
    }
    out.push(tok);
    logprobs.push(logprob);
    text = view(out);
    const at = firstStop(text, req.stop);
    if (at >= 0) {
      text = text.slice(0, at);
      cut = true;
      finish = "stop";
      break;
    }
    input = [tok];
  }
  const sample: Sample = { text, finishReason: finish };
  if (req.logprobs) sample.tokens = keptTokens(rt, view, out, logprobs, text, cut);
  return sample;
}

/** Earliest index where any stop string occurs, or -1. */
function firstStop(text: string, stop: string[] | undefined): number {
  let cut = -1;
  for (const s of stop ?? []) {
    const at = text.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut;
}

/** Per-token logprobs of the tokens that start inside the returned text (a stop string drops the rest). */
function keptTokens(rt: Runtime, view: (ids: readonly number[]) => string, ids: number[], logprobs: number[], text: string, cut: boolean): Sample["tokens"] {
  const tokens: NonNullable<Sample["tokens"]> = [];
  for (let i = 0; i < ids.length; i++) {
    if (cut && view(ids.slice(0, i)).length >= text.length) break;
    tokens.push({ token: rt.tokenText(ids[i]), id: ids[i], logprob: logprobs[i] });
  }
  return tokens;
}
