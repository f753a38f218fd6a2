/**
 * Prompt frames of the lab's training data, one rule for every recipe that samples the
 * model itself (imitation's teacher, grpo's policy):
 *
 *   chat   <bos><|user|>{prompt}<|end|><|assistant|>{response}<|end|>   the rows of data/chat.ts (sft)
 *   raw    <eos>{prompt}{response}<eos>                                  a pre-training document
 *
 * In the raw frame the leading <eos> is the document boundary the model saw in
 * pre-training (the corpus packs doc₁ <eos> doc₂ <eos> …).
 */
import type { CharTokenizer } from "../../model/index.js";

export const FRAMES = ["chat", "raw"] as const;
export type Frame = (typeof FRAMES)[number];

/** The tokens before the response: what the model is prompted with. */
export function framePrompt(tok: CharTokenizer, frame: Frame, prompt: string): number[] {
  return frame === "chat"
    ? [tok.bos, tok.idOf("<|user|>"), ...tok.encode(prompt), tok.idOf("<|end|>"), tok.idOf("<|assistant|>")]
    : [tok.eos, ...tok.encode(prompt)];
}

/** The token that ends a response: <|end|> closes a chat turn, <eos> a document. */
export function frameEnd(tok: CharTokenizer, frame: Frame): number {
  return frame === "chat" ? tok.idOf("<|end|>") : tok.eos;
}
