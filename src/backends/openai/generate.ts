/**
 * Generation over HTTP: GenerateRequest → the body of /v1/completions or
 * /v1/chat/completions, and the response → Generation.
 *
 * Parameters follow the OpenAI API (max_tokens, temperature, top_p, seed, stop, n,
 * logprobs); `top_k` is a vLLM / SGLang / llama.cpp extension, sent only when asked for,
 * so a server that lacks it refuses the request rather than silently ignoring it.
 */
import type { FinishReason, GenerateRequest, Generation, Sample, TokenLogprob } from "../language-model.js";
import type { OpenAIError } from "./errors.js";

export type Built = { path: "/completions" | "/chat/completions"; body: Record<string, unknown>; chat: boolean };

export function buildGenerate(model: string, req: GenerateRequest, chatMode: boolean): Built {
  const chat = req.messages !== undefined || chatMode;
  const body: Record<string, unknown> = { model, max_tokens: req.maxTokens, temperature: req.temperature ?? 1 };
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.topK !== undefined && req.topK > 0) body.top_k = req.topK;
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.stop !== undefined && req.stop.length > 0) body.stop = req.stop;
  if (req.n !== undefined) body.n = req.n;
  if (chat) {
    body.messages = req.messages ?? [{ role: "user", content: req.prompt }];
    if (req.logprobs) {
      body.logprobs = true;
      body.top_logprobs = 1;
    }
    return { path: "/chat/completions", body, chat };
  }
  body.prompt = req.prompt;
  if (req.logprobs) body.logprobs = 1;
  return { path: "/completions", body, chat };
}

/** "length" stays "length"; every other way of ending (stop, eos, stop sequence, …) is "stop". */
export function finishReason(raw: unknown): FinishReason {
  return raw === "length" ? "length" : "stop";
}

type Mapped = { ok: true; value: Generation } | { ok: false; error: OpenAIError };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

export function parseGeneration(json: unknown, built: Built, req: GenerateRequest, endpoint: string): Mapped {
  const bad = (message: string): Mapped => ({ ok: false, error: { code: "bad_response", endpoint, message } });
  const choices = isObj(json) ? json.choices : undefined;
  if (!Array.isArray(choices) || choices.length === 0) return bad("no choices in the response");
  const ordered = [...choices].sort((a, b) => (isObj(a) && isObj(b) ? Number(a.index ?? 0) - Number(b.index ?? 0) : 0));
  const samples: Sample[] = [];
  for (const [i, c] of ordered.entries()) {
    if (!isObj(c)) return bad(`choices[${i}] is not an object`);
    const text = built.chat ? (isObj(c.message) ? c.message.content : undefined) : c.text;
    if (typeof text !== "string") return bad(`choices[${i}] has no ${built.chat ? "message.content" : "text"}`);
    const sample: Sample = { text, finishReason: finishReason(c.finish_reason) };
    if (req.logprobs) {
      const tokens = built.chat ? chatTokens(c.logprobs) : completionTokens(c.logprobs);
      if (!tokens) return bad(`choices[${i}] has no logprobs although they were asked for`);
      sample.tokens = tokens;
    }
    samples.push(sample);
  }
  return { ok: true, value: { samples } };
}

/** Legacy completions: logprobs.tokens / token_logprobs. */
function completionTokens(lp: unknown): TokenLogprob[] | undefined {
  if (!isObj(lp) || !Array.isArray(lp.tokens) || !Array.isArray(lp.token_logprobs)) return undefined;
  const lps = lp.token_logprobs as unknown[];
  const out: TokenLogprob[] = [];
  for (const [i, token] of (lp.tokens as unknown[]).entries()) {
    if (typeof token !== "string" || typeof lps[i] !== "number") return undefined;
    out.push({ token, logprob: lps[i] as number });
  }
  return out;
}

/** Chat completions: logprobs.content[] = {token, logprob, top_logprobs}. */
function chatTokens(lp: unknown): TokenLogprob[] | undefined {
  if (!isObj(lp) || !Array.isArray(lp.content)) return undefined;
  const out: TokenLogprob[] = [];
  for (const t of lp.content as unknown[]) {
    if (!isObj(t) || typeof t.token !== "string" || typeof t.logprob !== "number") return undefined;
    out.push({ token: t.token, logprob: t.logprob });
  }
  return out;
}
