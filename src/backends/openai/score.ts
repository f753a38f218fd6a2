/**
 * Scoring a continuation over HTTP: the request bodies, and the parsers that turn a
 * server's prompt log-probabilities into a ContinuationScore.
 *
 * Two ways to get log p of the prompt's own tokens (lm-evaluation-harness; Inspect):
 *   echo    /v1/completions {prompt: prompt + continuation, echo: true, logprobs: 1,
 *           max_tokens: 0 (1 where 0 is refused), temperature: 0}; choices[0].logprobs
 *           holds tokens, token_logprobs (first null), top_logprobs, text_offset.
 *   vllm    /v1/completions {…, prompt_logprobs: 1}; choices[0].prompt_logprobs is a
 *           list aligned with the prompt tokens, first entry null, then per position a
 *           map token id → {logprob, rank, decoded_token}.
 *
 * 1. Read the tokens of the text sent and check that they spell it exactly (otherwise
 *    the log-probabilities belong to other tokens: `wrong_tokens`). A response without
 *    prompt log-probabilities is `missing`, so the caller can try the other way or fail
 *    with `no_prompt_logprobs` — never a silent chance-level score.
 * 2. Split at the prompt/continuation boundary by the one rule of ../boundary.ts:
 *    - by ids (`splitByIds`), where the server has a /tokenize (vLLM, `ftledger serve`):
 *      the continuation is the whole's tokens after the prompt's own, and the prompt's
 *      ids not being a prefix of the whole's is `token_boundary`. The echoed positions
 *      must be the whole's ids one for one (`tokenize_mismatch` otherwise).
 *    - by text offsets (`splitByOffsets`), elsewhere: the continuation is the echoed
 *      tokens that start at or after the prompt's end; a token spanning it is `token_boundary`.
 *    The two agree whenever the ids rule accepts (the prompt's own tokens then spell the
 *    prompt exactly, so the whole's tokens break at its end). They differ in one case: the
 *    whole's tokens break at the prompt's end but segment the prompt differently from the
 *    prompt alone ("abc" alone as "ab" "c", inside "abcd" as "a" "bc" "d"): offsets score
 *    the continuation after the whole's segmentation, ids refuse it as `token_boundary`.
 * 3. Sum the continuation tokens' log-probabilities; a token is greedy when it is the
 *    argmax of its position's top log-probabilities.
 *
 * NOTE: token offsets are recomputed from the token strings (JS UTF-16 units) rather
 * than read from `text_offset`, whose unit is the server's (Python: code points); the
 * two agree whenever the tokens spell the text, which step 1 demands anyway.
 */
import { splitIds, tokenBoundary } from "../boundary.js";
import type { ContinuationScore, ScoredToken } from "../language-model.js";
import type { OpenAIError } from "./errors.js";

export type ScoreMethod = "echo" | "vllm";

export type Parsed = { ok: true; value: ContinuationScore } | { ok: false; error: OpenAIError } | { ok: false; missing: true };

/**
 * The server's tokens of prompt + continuation (step 1): those that spell the text, and
 * `lead`, the positions before them that spell none of it (a BOS).
 */
export type Read = { ok: true; tokens: PromptToken[]; lead: number } | { ok: false; error: OpenAIError } | { ok: false; missing: true };

export function echoBody(model: string, text: string, maxTokens: 0 | 1): Record<string, unknown> {
  return { model, prompt: text, max_tokens: maxTokens, echo: true, logprobs: 1, temperature: 0 };
}

export function vllmBody(model: string, text: string): Record<string, unknown> {
  // NOTE: vLLM refuses max_tokens 0; the one generated token is ignored.
  return { model, prompt: text, max_tokens: 1, temperature: 0, prompt_logprobs: 1 };
}

/** One prompt token as a server reported it; `logprob` null for the first token. */
export interface PromptToken {
  token: string;
  id?: number;
  logprob: number | null;
  isGreedy: boolean;
}

export interface ScoreInput {
  endpoint: string;
  /** The served model's name (errors name it). */
  model: string;
  prompt: string;
  continuation: string;
}

const MISSING = { ok: false as const, missing: true as const };
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function firstChoice(json: unknown, endpoint: string): { ok: true; choice: Record<string, unknown> } | { ok: false; error: OpenAIError } {
  const choices = isObj(json) ? json.choices : undefined;
  if (!Array.isArray(choices) || !isObj(choices[0])) return { ok: false, error: { code: "bad_response", endpoint, message: "no choices[0] in the completion" } };
  return { ok: true, choice: choices[0] };
}

/** Read an echo response (legacy OpenAI completions logprobs). */
export function readEcho(json: unknown, input: ScoreInput): Read {
  const { endpoint } = input;
  const text = input.prompt + input.continuation;
  const c = firstChoice(json, endpoint);
  if (!c.ok) return c;
  const lp = c.choice.logprobs;
  // llama.cpp's server ignores echo: the text is only what it generated.
  if (typeof c.choice.text === "string" && !c.choice.text.startsWith(text)) return MISSING;
  if (!isObj(lp) || !Array.isArray(lp.tokens) || !Array.isArray(lp.token_logprobs)) return MISSING;
  const tokens = lp.tokens as unknown[];
  const logprobs = lp.token_logprobs as unknown[];
  const tops = Array.isArray(lp.top_logprobs) ? (lp.top_logprobs as unknown[]) : [];

  // 1. The echoed tokens: those starting before the end of the text (later ones were generated).
  //    A leading unscored special token the text does not spell (a BOS such as "<s>") is skipped.
  let first = 0;
  while (first < tokens.length && logprobs[first] === null && typeof tokens[first] === "string" && !text.startsWith(tokens[first] as string)) first++;
  const out: PromptToken[] = [];
  let spelled = "";
  for (let i = first; i < tokens.length && spelled.length < text.length; i++) {
    const token = tokens[i];
    const logprob = logprobs[i];
    if (typeof token !== "string") return { ok: false, error: { code: "bad_response", endpoint, message: `logprobs.tokens[${i}] is not a string` } };
    if (logprob !== null && typeof logprob !== "number") return { ok: false, error: { code: "bad_response", endpoint, message: `logprobs.token_logprobs[${i}] is not a number` } };
    spelled += token;
    out.push({ token, logprob, isGreedy: isArgmax(token, tops[i]) });
  }
  if (out.length === 0 || out.slice(1).every((t) => t.logprob === null)) return MISSING;
  if (spelled !== text) return { ok: false, error: { code: "wrong_tokens", endpoint, expected: text, got: spelled } };
  if (tops.length === 0) return { ok: false, error: { code: "bad_response", endpoint, message: "no logprobs.top_logprobs, so greedy tokens cannot be told" } };
  return { ok: true, tokens: out, lead: first };
}

/** Read vLLM's prompt_logprobs extension. */
export function readVllm(json: unknown, input: ScoreInput): Read {
  const { endpoint } = input;
  const text = input.prompt + input.continuation;
  const c = firstChoice(json, endpoint);
  if (!c.ok) return c;
  const raw = c.choice.prompt_logprobs ?? (isObj(json) ? json.prompt_logprobs : undefined);
  if (!Array.isArray(raw) || raw.length === 0) return MISSING;
  if (raw.length === 1) return MISSING; // one token: nothing conditional was scored

  // 1. Walk back from the end: each position's actual token must end the remaining text.
  const out: PromptToken[] = [];
  let cursor = text.length;
  for (let i = raw.length - 1; i >= 1; i--) {
    const entry = raw[i];
    if (!isObj(entry)) return { ok: false, error: { code: "bad_response", endpoint, message: `prompt_logprobs[${i}] is not a map of token id → logprob` } };
    const picked = actualToken(entry, text.slice(0, cursor));
    if (!picked) {
      const got = Object.values(entry).map((v) => (isObj(v) ? String(v.decoded_token) : "?")).join(" | ");
      return { ok: false, error: { code: "wrong_tokens", endpoint, expected: text, got: `…${got}${text.slice(cursor)}` } };
    }
    cursor -= picked.token.length;
    out.push(picked);
  }
  if (cursor < 0) return { ok: false, error: { code: "wrong_tokens", endpoint, expected: text, got: `(no first token)${text}` } };
  // cursor 0: position 0 was a special token (a BOS) that spells none of the text
  if (cursor > 0) out.push({ token: text.slice(0, cursor), logprob: null, isGreedy: false });
  out.reverse();
  return { ok: true, tokens: out, lead: cursor === 0 ? 1 : 0 };
}

/**
 * The entry at one position that is the prompt's own token. With prompt_logprobs: 1,
 * vLLM returns that token plus the top-1 when they differ, so: the only entry; else the
 * one not ranked 1; on a tie, the one that ends the remaining text.
 */
function actualToken(entry: Record<string, unknown>, remaining: string): PromptToken | undefined {
  const cands: PromptToken[] = [];
  let best = -Infinity;
  for (const [key, v] of Object.entries(entry)) {
    if (!isObj(v) || typeof v.logprob !== "number" || typeof v.decoded_token !== "string") continue;
    best = Math.max(best, v.logprob);
    const rank = typeof v.rank === "number" ? v.rank : undefined;
    cands.push({ token: v.decoded_token, id: Number(key), logprob: v.logprob, isGreedy: rank === 1 });
  }
  for (const t of cands) if (t.logprob !== null && t.logprob >= best) t.isGreedy = true;
  const fits = cands.filter((t) => t.token.length > 0 && remaining.endsWith(t.token));
  if (cands.length === 1) return fits[0];
  const unranked = fits.filter((t) => !t.isGreedy);
  return unranked.length === 1 ? unranked[0] : fits.length === 1 ? fits[0] : fits.find((t) => t.isGreedy);
}

/** `token` is the argmax of `top` (a map token → logprob); ties count as greedy. */
function isArgmax(token: string, top: unknown): boolean {
  if (!isObj(top)) return false;
  let best = -Infinity;
  for (const v of Object.values(top)) if (typeof v === "number") best = Math.max(best, v);
  const mine = top[token];
  return typeof mine === "number" && mine >= best;
}

/** 3. Sum the continuation's tokens (first: `from`); a first token with no log-probability is `empty_prompt`. */
function sum(tokens: readonly PromptToken[], from: number, endpoint: string, ids?: readonly number[]): Exclude<Parsed, { missing: true }> {
  const scored: ScoredToken[] = [];
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.logprob === null) return { ok: false, error: { code: "empty_prompt", endpoint } };
    const id = ids?.[i - from] ?? t.id;
    scored.push({ token: t.token, ...(id !== undefined ? { id } : {}), logprob: t.logprob, isGreedy: t.isGreedy });
  }
  const logprob = scored.reduce((a, t) => a + t.logprob, 0);
  return { ok: true, value: { logprob, isGreedy: scored.every((t) => t.isGreedy), tokens: scored } };
}

/** 2. By text offsets (a server without /tokenize): the tokens from the prompt's end on; one spanning it is `token_boundary`. */
export function splitByOffsets(read: Extract<Read, { ok: true }>, input: ScoreInput): Parsed {
  const { endpoint, model, prompt, continuation } = input;
  let start = 0;
  for (const [i, t] of read.tokens.entries()) {
    const end = start + t.token.length;
    if (start < prompt.length && end > prompt.length) {
      const around = read.tokens.slice(Math.max(0, i - 1), i + 2).map((x) => x.token);
      return { ok: false, error: { code: "token_boundary", endpoint, model, boundary: tokenBoundary(prompt, continuation, null, around, t.token) } };
    }
    if (start >= prompt.length) return sum(read.tokens, i, endpoint);
    start = end;
  }
  return { ok: false, error: { code: "no_continuation_tokens", endpoint, model, continuation } };
}

/**
 * 2. By ids: `context` and `whole` are the server's /tokenize ids of the prompt and of
 * prompt + continuation (special tokens added, as /v1/completions feeds them). Returns
 * `at` (where the prompt's ids first differ from the whole's) when they are not a prefix,
 * so that the caller can fetch those tokens' texts for the error (`idBoundaryError`).
 */
export function splitByIds(
  read: Extract<Read, { ok: true }>, context: readonly number[], whole: readonly number[], input: ScoreInput,
): Exclude<Parsed, { missing: true }> | { ok: false; at: number } {
  const { endpoint, model, continuation } = input;
  const mismatch = (why: string): Exclude<Parsed, { missing: true }> => ({ ok: false, error: { code: "tokenize_mismatch", endpoint, model, message: why } });
  if (read.lead + read.tokens.length !== whole.length) {
    return mismatch(`its /tokenize gives ${whole.length} tokens for the text sent, its completion reports ${read.lead + read.tokens.length} positions`);
  }
  const differs = read.tokens.findIndex((t, i) => t.id !== undefined && t.id !== whole[read.lead + i]);
  if (differs >= 0) return mismatch(`at position ${read.lead + differs} its /tokenize gives token id ${whole[read.lead + differs]}, its completion ${read.tokens[differs].id}`);
  // NOTE: no BOS to fall back on here: a server that adds one puts it in the prompt's ids itself
  const s = splitIds(context, whole, undefined);
  if (!s.ok && s.code === "token_boundary") return { ok: false, at: s.at };
  if (!s.ok) return s.code === "no_bos" ? { ok: false, error: { code: "empty_prompt", endpoint } } : { ok: false, error: { code: "no_continuation_tokens", endpoint, model, continuation } };
  const from = s.start - read.lead;
  if (from < 0) return mismatch(`the prompt's ${s.start} tokens end inside the ${read.lead} leading special token(s) of the completion`);
  const spelled = read.tokens.slice(from).map((t) => t.token).join("");
  if (spelled !== continuation) return mismatch(`the tokens after the prompt's ${s.start} spell ${JSON.stringify(spelled.slice(0, 40))}, not the continuation ${JSON.stringify(continuation.slice(0, 40))}`);
  return sum(read.tokens, from, endpoint, whole.slice(s.start));
}

/** The token_boundary error of `splitByIds`, given the texts of the prompt's ids from `at` on (`contextPieces`). */
export function idBoundaryError(read: Extract<Read, { ok: true }>, at: number, contextPieces: readonly string[], input: ScoreInput): OpenAIError {
  const { endpoint, model, prompt, continuation } = input;
  // position p of the whole is read.tokens[p - lead]; the leading special tokens spell no text
  const wholeTexts: string[] = [];
  for (let p = at; p < read.lead + read.tokens.length && wholeTexts.length < contextPieces.length + 2; p++) wholeTexts.push(p < read.lead ? "" : read.tokens[p - read.lead].token);
  return { code: "token_boundary", endpoint, model, boundary: tokenBoundary(prompt, continuation, contextPieces, wholeTexts) };
}
