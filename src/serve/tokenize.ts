/**
 * vLLM's tokenizer endpoints, so that a client can count and split text the way the
 * served model does (and score continuations client-side):
 *   POST /tokenize    { prompt, add_special_tokens = true } or { messages }
 *                     → { count, max_model_len, tokens }
 *   POST /detokenize  { tokens } → { prompt }
 * A prompt with special tokens added is what `/v1/completions` feeds the model; messages
 * are rendered by the model's chat template, as `/v1/chat/completions` renders them.
 */
import { z } from "zod";
import { chatMessages } from "./schema.js";

export const tokenizeRequest = z.union([
  z.object({ model: z.string().optional(), prompt: z.string(), add_special_tokens: z.boolean().default(true) }),
  z.object({ model: z.string().optional(), messages: chatMessages }),
]);
export type TokenizeRequest = z.infer<typeof tokenizeRequest>;

export const detokenizeRequest = z.object({ model: z.string().optional(), tokens: z.array(z.number().int().min(0)) });
