/**
 * Every backend scores the same characters: before scoring, the prompt's trailing
 * whitespace moves onto the continuation (lm-evaluation-harness's convention), because
 * most tokenizers attach a space to the word that follows it. "the cat " + "sees" is
 * scored as "the cat" + " sees" by builtin, gguf and openai alike.
 */
import type { ScoreRequest } from "./language-model.js";

export function moveTrailingWhitespace(req: ScoreRequest): ScoreRequest {
  const trailing = req.prompt.length - req.prompt.trimEnd().length;
  if (trailing === 0) return req;
  const cut = req.prompt.length - trailing;
  return { prompt: req.prompt.slice(0, cut), continuation: req.prompt.slice(cut) + req.continuation };
}
