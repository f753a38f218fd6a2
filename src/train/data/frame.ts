/**
 * Prompt frames of the lab's training data, one rule for every recipe that samples the
 * model itself (imitation's teacher, grpo's policy):
 *
 *   chat   <bos><|user|>{prompt}<|end|><|assistant|>{response}<|end|>   the rows of data/chat.ts (sft)
 *   raw    {prompt}{response}<eos>                                       a pre-training document
 *
 * The raw frame is exactly what the probes send a model as a plain-text prompt
 * (src/probes, frame "raw"), so what RL or imitation trains is what the audit measures.
 * NOTE: in pre-training a document usually follows the previous one's <eos>; starting
 * with it instead measured within noise on a zoo checkpoint (arithmetic 22/150 without,
 * 27/150 with; recall by ranking 143/150 vs 144/150), and a plain-text prompt cannot
 * carry it for models other than the lab's.
 */
import type { Tokenizer } from "../../model/index.js";

export const FRAMES = ["chat", "raw"] as const;
export type Frame = (typeof FRAMES)[number];

/** The tokens before the response: what the model is prompted with. */
export function framePrompt(tok: Tokenizer, frame: Frame, prompt: string): number[] {
  return frame === "chat"
    ? [tok.bos, tok.idOf("<|user|>"), ...tok.encode(prompt), tok.idOf("<|end|>"), tok.idOf("<|assistant|>")]
    : tok.encode(prompt);
}

/** The token that ends a response: <|end|> closes a chat turn, <eos> a document. */
export function frameEnd(tok: Tokenizer, frame: Frame): number {
  return frame === "chat" ? tok.idOf("<|end|>") : tok.eos;
}
