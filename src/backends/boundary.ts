/**
 * The scoring boundary: which tokens of prompt + continuation are scored. One rule for
 * every backend (builtin, gguf, openai), after lm-evaluation-harness's `loglikelihood`:
 *
 * 1. Whitespace: the prompt's trailing whitespace moves onto the continuation, because
 *    most tokenizers attach a space to the word that follows it. "the cat " + "sees" is
 *    scored as "the cat" + " sees".
 * 2. Tokens: the continuation's tokens are tokens(prompt + continuation) minus the
 *    prompt's own tokens (lm-evaluation-harness `_encode_pair`: `whole_enc[len(context_enc):]`),
 *    both encoded as the model is fed a prompt (with any BOS its tokenizer adds). The model
 *    so sees the boundary token it would see in running text.
 * 3. Prefix: the prompt's tokens must be a prefix of the whole's. When they are not, a
 *    merge spans the boundary (" 1" + "2" → " 12") and no run of tokens is exactly the
 *    continuation: that is the `token_boundary` problem, never a silent guess
 *    (lm-evaluation-harness slices anyway and scores tokens that partly spell the prompt).
 * 4. An empty prompt conditions on the BOS token where the tokenizer has one.
 *
 * The openai backend applies 2–3 to the ids a server's /tokenize gives, and falls back
 * to the echoed tokens' text offsets where the server has no /tokenize (openai/score.ts).
 */
import type { ScoreRequest } from "./language-model.js";

export function moveTrailingWhitespace<T extends Pick<ScoreRequest, "prompt" | "continuation">>(req: T): T {
  const trailing = req.prompt.length - req.prompt.trimEnd().length;
  if (trailing === 0) return req;
  const cut = req.prompt.length - trailing;
  return { ...req, prompt: req.prompt.slice(0, cut), continuation: req.prompt.slice(cut) + req.continuation };
}

/** Where a prompt's tokens and the whole's part, shown as token texts (what the error names). */
export interface TokenBoundary {
  /** The prompt's end and the continuation's start (after the whitespace move), 20 characters at most. */
  promptEnd: string;
  continuationStart: string;
  /** The prompt's own tokens from the first that differs from the whole's; null where unknown (a server without /tokenize). */
  promptTokens: string[] | null;
  /** The whole's tokens from the same place, through the boundary. */
  wholeTokens: string[];
  /** The whole's token that spans the prompt/continuation boundary, where one does. */
  spanning: string | null;
}

/** Why a (prompt, continuation) pair cannot be scored, as data; `model` names the backend and model. */
export type BoundaryProblem =
  | { code: "empty_continuation"; model: string }
  | { code: "no_bos"; model: string }
  | { code: "no_continuation_tokens"; model: string; continuation: string }
  | ({ code: "token_boundary"; model: string } & TokenBoundary);

const q = (s: string) => JSON.stringify(s);
const list = (ts: readonly string[]) => `[${ts.map(q).join(", ")}]`;

/** The sentence of a token_boundary problem after its "where": what spans, and what to do. */
export function formatTokenBoundary(b: TokenBoundary): string {
  const prompt = b.promptTokens === null ? "" : `the prompt's own tokens end ${list(b.promptTokens)} while prompt + continuation has ${list(b.wholeTokens)} there, so the prompt's tokens are not a prefix of the whole's`;
  const spans = b.spanning === null ? "" : `the token ${q(b.spanning)} spans the prompt/continuation boundary`;
  const why = [spans, prompt].filter((s) => s !== "").join("; ");
  return `cannot score the continuation starting ${q(b.continuationStart)} after the prompt ending ${q(b.promptEnd)}: a merge crosses the boundary (${why}), and no run of tokens is exactly the continuation. Move the boundary to where the tokenizer splits the text: put the space or the merged characters at the start of the continuation (prompt "x = 1" + continuation "2" → "x =" + " 12"), or end the prompt before the merged word.`;
}

/** One user-facing message: what was wrong, where (the backend and model), and what to do. */
export function formatBoundaryProblem(p: BoundaryProblem): string {
  switch (p.code) {
    case "empty_continuation":
      return `${p.model}: score: the continuation is empty; there is nothing to score. Give a continuation of at least one character.`;
    case "no_bos":
      return `${p.model}: score: the prompt is empty, or only whitespace (which is scored as the start of the continuation), and the tokenizer has no BOS token to condition the first continuation token on; give a prompt with text in it.`;
    case "no_continuation_tokens":
      return `${p.model}: score: the continuation ${q(p.continuation)} adds no token after the prompt's tokens when tokenised together; move the boundary (end the prompt earlier).`;
    case "token_boundary":
      return `${p.model}: score: ${formatTokenBoundary(p)}`;
  }
}

/** What builtin and gguf reject a score with; `detail` is the problem as data. */
export class BoundaryError extends Error {
  readonly code: BoundaryProblem["code"];
  constructor(readonly detail: BoundaryProblem) {
    super(formatBoundaryProblem(detail));
    this.name = "BoundaryError";
    this.code = detail.code;
  }
}

/** The rule on ids: the whole's ids (BOS added for an empty prompt) and where the continuation starts. */
export type IdSplit =
  | { ok: true; ids: number[]; start: number }
  | { ok: false; code: "no_bos" | "no_continuation_tokens" }
  /** The prompt's ids are not a prefix of the whole's; `at`: the first index where they differ. */
  | { ok: false; code: "token_boundary"; at: number };

export function splitIds(context: readonly number[], whole: readonly number[], bos: number | undefined): IdSplit {
  let ctx = [...context];
  let ids = [...whole];
  if (ctx.length === 0) {
    if (bos === undefined) return { ok: false, code: "no_bos" };
    ctx = [bos];
    ids = [bos, ...ids];
  }
  let at = 0;
  while (at < ctx.length && at < ids.length && ctx[at] === ids[at]) at++;
  if (at < ctx.length) return { ok: false, code: "token_boundary", at };
  if (ids.length === ctx.length) return { ok: false, code: "no_continuation_tokens" };
  return { ok: true, ids, start: ctx.length };
}

/** Tokens shown each side in an error (the rest is elided). */
const SHOWN = 6;

/**
 * The token_boundary detail from token texts: `promptTexts` / `wholeTexts` are the texts
 * of the prompt's and the whole's tokens from index `at` (where they first differ) on.
 * The spanning token is found by text offsets: the prompt's tokens from `at` spell the
 * prompt's last characters, so the whole's tokens from `at` start at the same character.
 */
export function tokenBoundary(prompt: string, continuation: string, promptTexts: readonly string[] | null, wholeTexts: readonly string[], spanning?: string | null): TokenBoundary {
  let span = spanning ?? null;
  if (span === null && promptTexts !== null) {
    let offset = prompt.length - promptTexts.join("").length;
    for (const t of wholeTexts) {
      if (offset < prompt.length && offset + t.length > prompt.length) span = t;
      offset += t.length;
      if (offset >= prompt.length) break;
    }
  }
  return {
    promptEnd: prompt.slice(-20),
    continuationStart: continuation.slice(0, 20),
    promptTokens: promptTexts === null ? null : promptTexts.slice(0, SHOWN),
    wholeTokens: wholeTexts.slice(0, (promptTexts?.length ?? 1) + 2).slice(0, SHOWN),
    spanning: span,
  };
}

/** A tokenizer as the rule needs it: ids of a text as the model is fed it, the BOS, and one token's text. */
export interface BoundaryTokenizer {
  encode(text: string): number[];
  bos: number | undefined;
  /** One token's text, decoded (" 12", not byte-level "Ġ12"): what the error shows. */
  pieceText(id: number): string;
}

export type ScoringSplit = { ok: true; ids: number[]; start: number; prompt: string; continuation: string } | { ok: false; problem: BoundaryProblem };

/** The whole rule for a backend with its tokenizer at hand (builtin, gguf). */
export function splitForScore(model: string, tok: BoundaryTokenizer, req: Pick<ScoreRequest, "prompt" | "continuation">): ScoringSplit {
  const { prompt, continuation } = moveTrailingWhitespace(req);
  if (continuation.length === 0) return { ok: false, problem: { code: "empty_continuation", model } };
  const context = tok.encode(prompt);
  const whole = tok.encode(prompt + continuation);
  const s = splitIds(context, whole, tok.bos);
  if (s.ok) return { ok: true, ids: s.ids, start: s.start, prompt, continuation };
  if (s.code !== "token_boundary") return { ok: false, problem: s.code === "no_bos" ? { code: "no_bos", model } : { code: "no_continuation_tokens", model, continuation } };
  const texts = (ids: readonly number[]) => ids.map((id) => tok.pieceText(id));
  const b = tokenBoundary(prompt, continuation, texts(context.slice(s.at)), texts(whole.slice(s.at, s.at + SHOWN + 2)));
  return { ok: false, problem: { code: "token_boundary", model, ...b } };
}
