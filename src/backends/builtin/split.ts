/**
 * Where the prompt ends and the continuation begins, in tokens — as
 * lm-evaluation-harness does it: move the prompt's trailing whitespace onto the
 * continuation, tokenise prompt + continuation together, and take the continuation as
 * the tokens after the prompt's own tokenisation. The model then sees the boundary
 * token it would see in real text.
 */
import { moveTrailingWhitespace } from "../boundary.js";
import type { FolderTokenizer } from "./hf-tokenizer.js";

/** What the split needs of a tokenizer: encoding with its special tokens, and a BOS for an empty prompt. */
export type SplitTokenizer = Pick<FolderTokenizer, "encodeWithSpecial" | "bosId">;

export type Split = { ok: true; value: { prompt: number[]; continuation: number[] } } | { ok: false; message: string };

export function splitForScoring(tok: SplitTokenizer, prompt: string, continuation: string): Split {
  ({ prompt, continuation } = moveTrailingWhitespace({ prompt, continuation }));
  if (continuation.length === 0) return { ok: false, message: "the continuation is empty; there is nothing to score" };
  const whole = tok.encodeWithSpecial(prompt + continuation);
  let context = tok.encodeWithSpecial(prompt);
  if (context.length === 0) {
    if (tok.bosId === undefined) return { ok: false, message: "the prompt is empty and the tokenizer has no BOS token to condition on; give a prompt" };
    context = [tok.bosId];
    whole.unshift(tok.bosId);
  }
  const cont = whole.slice(context.length);
  if (cont.length === 0) return { ok: false, message: `the continuation "${continuation}" adds no token after the prompt's tokens` };
  return { ok: true, value: { prompt: whole.slice(0, context.length), continuation: cont } };
}
