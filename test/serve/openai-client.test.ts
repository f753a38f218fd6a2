/**
 * `ftledger serve` through the official `openai` npm client, as a user's code would call it:
 * models, completions with echo + logprobs, chat with logprobs and top_logprobs, streaming,
 * and vLLM's /tokenize and /detokenize. Numbers are checked against the backend directly.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
import { saveCheckpoint } from "../../src/formats/index.js";
import { openBuiltinModel, type LanguageModel } from "../../src/backends/index.js";
import { startServer, type RunningServer } from "../../src/serve/index.js";

const tok = new CharTokenizer();
const config: ModelConfig = {
  vocabSize: tok.size, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 48,
  contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
};
let model: LanguageModel;
let server: RunningServer;
let client: OpenAI;
const messages = [{ role: "user" as const, content: "2+3=" }];

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ftledger-openai-client-"));
  const m = Llama.f32(config, createTsKernels());
  m.initialize(createRng(9), 0.3);
  const r = await saveCheckpoint(join(dir, "m"), { config, params: m.params.flat, tokenizer: tok });
  if (!r.ok) throw new Error("save failed");
  model = await openBuiltinModel(join(dir, "m"), { kernels: createTsKernels() });
  server = await startServer(model, { port: 0, modelName: "tiny" });
  client = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
});

describe("the openai client against ftledger serve", () => {
  it("lists the model", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(["tiny"]);
  });

  it("completions: echo + logprobs score the prompt as the backend does", async () => {
    const r = await client.completions.create({ model: "tiny", prompt: "The cat", max_tokens: 0, echo: true, logprobs: 1, temperature: 0 });
    const lp = r.choices[0].logprobs!;
    expect(lp.tokens!.join("")).toBe("The cat");
    expect(lp.token_logprobs![0]).toBeNull(); // the first token has no context
    const direct = await model.score({ prompt: "T", continuation: "he cat" });
    lp.token_logprobs!.slice(1).forEach((v, i) => expect(v).toBeCloseTo(direct.tokens[i].logprob, 5));
  });

  it("chat: logprobs with top_logprobs in OpenAI's shape; greedy picks the top alternative", async () => {
    const r = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 3 });
    const choice = r.choices[0];
    const content = choice.logprobs!.content!;
    expect(content.map((t) => t.token).join("")).toBe(choice.message.content);
    for (const t of content) {
      expect(t.top_logprobs).toHaveLength(3);
      expect(t.bytes).toEqual(Array.from(Buffer.from(t.token, "utf8")));
      // temperature 0: the chosen token is the most likely one, with the same log-prob
      expect(t.top_logprobs[0].token).toBe(t.token);
      expect(t.top_logprobs[0].logprob).toBeCloseTo(t.logprob, 4);
      expect(t.top_logprobs[1].logprob).toBeLessThanOrEqual(t.top_logprobs[0].logprob);
    }
  });

  it("chat: streaming gives the same text, and with logprobs the same log-probs", async () => {
    const plain = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 2 });
    let text = "";
    const streamed: number[] = [];
    const stream = await client.chat.completions.create({ model: "tiny", messages, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 2, stream: true });
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      for (const t of chunk.choices[0]?.logprobs?.content ?? []) streamed.push(t.logprob);
    }
    expect(text).toBe(plain.choices[0].message.content);
    expect(streamed).toEqual(plain.choices[0].logprobs!.content!.map((t) => t.logprob));
    let tokenByToken = "";
    for await (const chunk of await client.chat.completions.create({ model: "tiny", messages, max_tokens: 6, temperature: 0, stream: true })) {
      tokenByToken += chunk.choices[0]?.delta?.content ?? "";
    }
    expect(tokenByToken).toBe(text);
  });

  it("chat: top_logprobs without logprobs is a 400 naming the field", async () => {
    await expect(client.chat.completions.create({ model: "tiny", messages, max_tokens: 2, top_logprobs: 2 })).rejects.toMatchObject({ status: 400, param: "top_logprobs" });
  });

  it("vLLM's /tokenize and /detokenize round-trip a prompt and a chat", async () => {
    const root = server.url.replace(/\/v1$/, "");
    const post = async (path: string, body: unknown) => (await fetch(root + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>>;
    const t = await post("/tokenize", { model: "tiny", prompt: "The cat" });
    expect(t.tokens).toEqual(model.vocab!.encodePrompt("The cat"));
    expect(t.count).toBe((t.tokens as number[]).length);
    expect(t.max_model_len).toBe(64);
    expect((await post("/detokenize", { tokens: model.vocab!.encode("The cat") })).prompt).toBe("The cat");
    const chat = await post("/tokenize", { messages });
    expect(chat.tokens).toEqual(model.vocab!.encode(model.chatPrompt!(messages)));
    const bad = await post("/detokenize", { tokens: [100000] });
    expect((bad.error as { param: string }).param).toBe("tokens");
  });
});
