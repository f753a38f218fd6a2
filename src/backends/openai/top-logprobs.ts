/**
 * Text-level top-k log-probabilities from an OpenAI-compatible /v1/completions (legacy
 * `logprobs: k`, which returns `top_logprobs`: one token → logprob map per position), for
 * compositions over servers that give no token ids (src/compose). Two requests:
 *
 *   next   {prompt: text, max_tokens: 1, logprobs: k, temperature: 0}: the generated
 *          position's map is the next-token top-k after `text`
 *   echo   {prompt: text, echo: true, max_tokens: 1, logprobs: k, temperature: 0}: every
 *          prompt token with its log-prob and its position's top-k (the first token: null)
 *
 * NOTE: vLLM caps k at its `max_logprobs` (20 by default); a server that returns fewer
 * entries than asked is used as it is, and the composition reports what it could not see.
 */
import type { OpenAIError } from "./errors.js";

export interface TextTopK {
  token: string;
  /** null for the first token (no context). */
  logprob: number | null;
  top: Map<string, number>;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

export function nextTopKBody(model: string, text: string, k: number): Record<string, unknown> {
  return { model, prompt: text, max_tokens: 1, logprobs: k, temperature: 0 };
}

export function echoTopKBody(model: string, text: string, k: number): Record<string, unknown> {
  return { model, prompt: text, max_tokens: 1, echo: true, logprobs: k, temperature: 0 };
}

function logprobsOf(json: unknown, endpoint: string): { ok: true; lp: Record<string, unknown> } | { ok: false; error: OpenAIError } {
  const choices = isObj(json) ? json.choices : undefined;
  const c = Array.isArray(choices) ? choices[0] : undefined;
  if (!isObj(c) || !isObj(c.logprobs)) return { ok: false, error: { code: "bad_response", endpoint, message: "no choices[0].logprobs in the completion (the server gives no log-probabilities)" } };
  return { ok: true, lp: c.logprobs };
}

function mapOf(x: unknown): Map<string, number> | null {
  if (!isObj(x)) return null;
  const m = new Map<string, number>();
  for (const [t, v] of Object.entries(x)) if (typeof v === "number" && Number.isFinite(v)) m.set(t, v);
  return m.size > 0 ? m : null;
}

/** The last position's top-k of a `next` request (the one generated token's alternatives). */
export function parseNextTopK(json: unknown, endpoint: string): { ok: true; value: Map<string, number> } | { ok: false; error: OpenAIError } {
  const r = logprobsOf(json, endpoint);
  if (!r.ok) return r;
  const tops = r.lp.top_logprobs;
  const m = Array.isArray(tops) ? mapOf(tops[tops.length - 1]) : null;
  if (!m) return { ok: false, error: { code: "bad_response", endpoint, message: "no top_logprobs for the generated token; the server must support logprobs > 0 on /v1/completions" } };
  return { ok: true, value: m };
}

/** The prompt positions of an `echo` request (the generated token, last, is dropped when the tokens overrun `text`). */
export function parseEchoTopK(json: unknown, endpoint: string, text: string): { ok: true; value: TextTopK[] } | { ok: false; error: OpenAIError } {
  const r = logprobsOf(json, endpoint);
  if (!r.ok) return r;
  const { tokens, token_logprobs: lps, top_logprobs: tops } = r.lp;
  if (!Array.isArray(tokens) || !Array.isArray(lps) || !Array.isArray(tops)) {
    return { ok: false, error: { code: "bad_response", endpoint, message: "echo gave no tokens / token_logprobs / top_logprobs; the server must echo prompt log-probabilities" } };
  }
  const out: TextTopK[] = [];
  let spelled = "";
  for (let i = 0; i < tokens.length && spelled.length < text.length; i++) {
    const token = tokens[i];
    const lp = lps[i];
    if (typeof token !== "string" || (lp !== null && typeof lp !== "number")) return { ok: false, error: { code: "bad_response", endpoint, message: `echo token ${i} is malformed` } };
    spelled += token;
    out.push({ token, logprob: lp, top: mapOf(tops[i]) ?? new Map() });
  }
  if (spelled !== text) return { ok: false, error: { code: "bad_response", endpoint, message: "the echoed tokens do not spell the text sent" } };
  return { ok: true, value: out };
}
