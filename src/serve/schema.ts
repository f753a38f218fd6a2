/** Request bodies of the OpenAI-compatible API, validated with zod (unknown fields ignored). */
import { z } from "zod";

// an empty stop string would end every generation at once
const stop = z.union([z.string().min(1), z.array(z.string().min(1))]).optional();

export const completionRequest = z.object({
  model: z.string().optional(),
  prompt: z.union([z.string(), z.array(z.string()).min(1)]),
  max_tokens: z.number().int().min(0).default(16), // OpenAI's default
  temperature: z.number().min(0).default(1),
  top_p: z.number().gt(0).max(1).default(1),
  top_k: z.number().int().min(-1).optional(), // vLLM extension; −1 or 0 = off
  seed: z.number().int().optional(),
  stop,
  n: z.number().int().min(1).max(64).default(1),
  logprobs: z.number().int().min(0).max(20).nullable().optional(),
  echo: z.boolean().default(false),
  prompt_logprobs: z.number().int().min(0).max(20).optional(), // vLLM extension
  stream: z.boolean().default(false),
});
export type CompletionRequest = z.infer<typeof completionRequest>;

/** A chat: at least one message (shared by /v1/chat/completions and /tokenize). */
export const chatMessages = z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })).min(1);

export const chatRequest = z.object({
  model: z.string().optional(),
  messages: chatMessages,
  max_tokens: z.number().int().min(1).optional(),
  max_completion_tokens: z.number().int().min(1).optional(),
  temperature: z.number().min(0).default(1),
  top_p: z.number().gt(0).max(1).default(1),
  seed: z.number().int().optional(),
  stop,
  n: z.number().int().min(1).max(64).default(1),
  logprobs: z.boolean().default(false),
  top_logprobs: z.number().int().min(0).max(20).optional(),
  stream: z.boolean().default(false),
});
export type ChatRequest = z.infer<typeof chatRequest>;
