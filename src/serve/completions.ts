/**
 * The body of an OpenAI `/v1/completions` response, from a LanguageModel with token
 * access: generated text, and with `echo` / `logprobs` / vLLM's `prompt_logprobs` the
 * per-token log-probabilities of the prompt and of the generated tokens (each position
 * scored once, in one pass over prompt + output).
 */
import type { LanguageModel, PositionScore, Sample } from "../backends/index.js";
import type { CompletionRequest } from "./schema.js";

export interface OpenAILogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

export interface CompletionChoice {
  index: number;
  text: string;
  logprobs: OpenAILogprobs | null;
  finish_reason: string;
  prompt_logprobs?: (Record<string, { logprob: number; rank: number; decoded_token: string }> | null)[];
}

function topRecord(p: PositionScore | null, k: number): Record<string, number> | null {
  if (!p) return null;
  const r: Record<string, number> = {};
  for (const t of p.top.slice(0, k)) r[t.token] = t.logprob;
  if (!(p.token in r)) r[p.token] = p.logprob; // OpenAI always includes the chosen token
  return r;
}

/** One choice for one prompt string and one generated sample. */
export async function completionChoice(
  model: LanguageModel, req: CompletionRequest, prompt: string, sample: Sample | null, index: number,
): Promise<CompletionChoice> {
  const k = req.logprobs ?? 0;
  const wantLogprobs = req.logprobs !== undefined && req.logprobs !== null;
  const needScores = wantLogprobs || req.prompt_logprobs !== undefined;
  const text = (req.echo ? prompt : "") + (sample?.text ?? "");
  const finish = sample ? (sample.finishReason === "context" ? "length" : sample.finishReason) : "length";
  const choice: CompletionChoice = { index, text, logprobs: null, finish_reason: finish };
  // without log-probs no token access is needed: any backend can be served
  if (!needScores) return choice;
  const vocab = model.vocab;
  if (!vocab || !model.scoreTokens) throw new Error("this backend cannot return log-probabilities (no token access)");
  const promptIds = vocab.encodePrompt(prompt);
  const genIds = (sample?.tokens ?? []).map((t) => t.id!);
  const all = [...promptIds, ...genIds];
  const scores = all.length >= 2 ? await model.scoreTokens(all, Math.max(k, req.prompt_logprobs ?? 0, 1)) : [];
  // scores[i] is the position of all[i + 1]; position 0 has no score
  const at = (i: number): PositionScore | null => (i === 0 ? null : scores[i - 1] ?? null);
  if (wantLogprobs) {
    const positions = req.echo ? all.map((_, i) => i) : genIds.map((_, j) => promptIds.length + j);
    const lp: OpenAILogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
    let offset = 0;
    for (const i of positions) {
      const piece = vocab.decode([all[i]]);
      lp.tokens.push(piece);
      lp.token_logprobs.push(at(i)?.logprob ?? null);
      lp.top_logprobs.push(topRecord(at(i), k));
      lp.text_offset.push(offset);
      // a special token the text does not spell (a BOS) takes no characters
      if (text.startsWith(piece, offset)) offset += piece.length;
    }
    choice.logprobs = lp;
  }
  if (req.prompt_logprobs !== undefined) {
    choice.prompt_logprobs = promptIds.map((id, i) => {
      const s = at(i);
      if (!s) return null;
      const r: Record<string, { logprob: number; rank: number; decoded_token: string }> = {};
      const rank = s.top.findIndex((t) => t.id === id);
      r[String(id)] = { logprob: s.logprob, rank: rank >= 0 ? rank + 1 : s.top.length + 1, decoded_token: vocab.decode([id]) };
      s.top.slice(0, req.prompt_logprobs).forEach((t, j) => (r[String(t.id)] = { logprob: t.logprob, rank: j + 1, decoded_token: vocab.decode([t.id]) }));
      return r;
    });
  }
  return choice;
}
