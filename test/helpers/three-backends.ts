/**
 * One checkpoint through the three backends: the engine (builtin), its GGUF export through
 * llama.cpp (gguf), and `ftledger serve` over the engine reached as an OpenAI-compatible
 * server (openai). Tests that compare the three share these.
 */
import { expect } from "vitest";
import { openModel, type ContinuationScore, type LanguageModel } from "../../src/backends/index.js";
import { startServer, type RunningServer } from "../../src/serve/index.js";
import type { Kernels } from "../../src/tensor/index.js";

export type Three = Record<"builtin" | "gguf" | "openai", LanguageModel>;

/** Open `ckpt` (builtin), `gguf` and a server over the builtin model named `name`; close with `closeThree`. */
export async function openThree(ckpt: string, gguf: string, name: string, kernels?: Kernels): Promise<{ models: Three; server: RunningServer }> {
  const builtin = await openModel(`builtin:${ckpt}`, kernels ? { kernels } : {});
  const server = await startServer(builtin, { port: 0, modelName: name });
  return { server, models: { builtin, gguf: await openModel(`gguf:${gguf}`), openai: await openModel(`openai:${server.url}#${name}`) } };
}

export async function closeThree(t: { models?: Three; server?: RunningServer } | undefined): Promise<void> {
  for (const m of Object.values(t?.models ?? {})) await m.close();
  await t?.server?.close();
}

/**
 * The largest |Δ log p| of any continuation token between two backends' scores of the same
 * requests, after checking that both split every continuation into the same tokens (by id, or
 * by token text where a backend reports no ids).
 */
export function maxLogprobDiff(a: readonly ContinuationScore[], b: readonly ContinuationScore[], by: "id" | "token" = "token"): number {
  let d = 0;
  a.forEach((s, i) => {
    expect(b[i].tokens.map((t) => t[by])).toEqual(s.tokens.map((t) => t[by]));
    s.tokens.forEach((t, j) => (d = Math.max(d, Math.abs(t.logprob - b[i].tokens[j].logprob))));
  });
  return d;
}
