/**
 * OpenAI's chat `logprobs` (ChatCompletionTokenLogprob): for every generated token its
 * log-prob, its UTF-8 bytes and, with `top_logprobs: N`, the N most likely tokens at that
 * position. The chosen token's log-prob is the one generation computed; the alternatives
 * come from scoring the rendered chat prompt followed by the generated tokens
 * (`scoreTokens`), which is how the backend saw them: the prompt's ids are
 * `vocab.encode(chatPrompt(messages))`, as every backend here tokenises a chat request.
 */
import type { ChatMessage, LanguageModel, Sample } from "../backends/index.js";

export interface ChatTopLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
}

export interface ChatTokenLogprob extends ChatTopLogprob {
  top_logprobs: ChatTopLogprob[];
}

const bytesOf = (token: string): number[] => Array.from(Buffer.from(token, "utf8"));

/** Why this model cannot give `top_logprobs` on chat, or null. */
export function chatTopLogprobsProblem(model: LanguageModel): string | null {
  if (!model.vocab || !model.scoreTokens) return "this backend cannot return top_logprobs (it has no token-level scoring); ask for logprobs alone";
  if (!model.chatPrompt) return "this backend renders no chat template here, so the prompt's tokens are unknown; use /v1/completions with logprobs";
  return null;
}

/** The `logprobs` object of one chat choice; `top` = top_logprobs (0: alternatives left empty). */
export async function chatLogprobs(model: LanguageModel, messages: ChatMessage[], sample: Sample, top: number): Promise<{ content: ChatTokenLogprob[] }> {
  const tokens = sample.tokens ?? [];
  const chosen = tokens.map((t) => ({ token: t.token, logprob: t.logprob, bytes: bytesOf(t.token) }));
  if (top <= 0 || tokens.length === 0) return { content: chosen.map((t) => ({ ...t, top_logprobs: [] })) };
  const problem = chatTopLogprobsProblem(model);
  if (problem) throw new Error(problem);
  const prompt = model.vocab!.encode(model.chatPrompt!(messages));
  const ids = [...prompt, ...tokens.map((t) => t.id!)];
  // scores[i] is the position of ids[i + 1]: generated token j sits at prompt.length + j
  const scores = await model.scoreTokens!(ids, top);
  return {
    content: chosen.map((t, j) => ({
      ...t,
      top_logprobs: scores[prompt.length + j - 1].top.slice(0, top).map((x) => ({ token: x.token, logprob: x.logprob, bytes: bytesOf(x.token) })),
    })),
  };
}
