/**
 * `ftledger serve` for real: the OpenAI-compatible app over the builtin backend on a
 * loopback port, read with plain fetch and with our own openai backend. The same model
 * must score the same through the engine and through HTTP.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
import { saveCheckpoint } from "../../src/formats/index.js";
import { createOpenAIModel, openBuiltinModel, type LanguageModel } from "../../src/backends/index.js";
import { startServer, type RunningServer } from "../../src/serve/index.js";

const tok = new CharTokenizer();
const config: ModelConfig = {
  vocabSize: tok.size, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 48,
  contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
};
let builtin: LanguageModel;
let server: RunningServer;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ftledger-serve-"));
  const m = Llama.f32(config, createTsKernels());
  m.initialize(createRng(21), 0.3);
  const r = await saveCheckpoint(join(dir, "m"), { config, params: m.params.flat, tokenizer: tok });
  if (!r.ok) throw new Error("save failed");
  builtin = await openBuiltinModel(join(dir, "m"), { kernels: createTsKernels() });
  server = await startServer(builtin, { port: 0, modelName: "tiny" });
});

afterAll(async () => {
  await server?.close();
});

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("ftledger serve", () => {
  it("lists its model", async () => {
    const res = await fetch(server.url + "/models");
    const body = (await res.json()) as { data: { id: string; root: string }[] };
    expect(body.data.map((d) => d.id)).toEqual(["tiny"]);
    expect(body.data[0].root).toBe(builtin.id);
  });

  it("echoes the prompt with its log-probs, as the engine scores them", async () => {
    const prompt = "the cat sees";
    const { status, json } = await post("/completions", { model: "tiny", prompt, max_tokens: 0, echo: true, logprobs: 2 });
    expect(status).toBe(200);
    const choice = (json.choices as { text: string; logprobs: { tokens: string[]; token_logprobs: (number | null)[]; top_logprobs: (Record<string, number> | null)[]; text_offset: number[] } }[])[0];
    expect(choice.text).toBe(prompt);
    expect(choice.logprobs.tokens.join("")).toBe(prompt);
    expect(choice.logprobs.token_logprobs[0]).toBeNull();
    expect(choice.logprobs.text_offset).toEqual([...prompt].map((_, i) => i));
    const ref = await builtin.scoreTokens!(tok.encode(prompt), 2);
    ref.forEach((p, i) => {
      expect(choice.logprobs.token_logprobs[i + 1]).toBe(p.logprob);
      // top_logprobs holds the 2 most likely tokens, plus the chosen one when it is not among them
      expect(Object.keys(choice.logprobs.top_logprobs[i + 1]!).length).toBeGreaterThanOrEqual(2);
    });
  });

  it("gives the same scores through the openai backend (echo and vLLM prompt_logprobs)", async () => {
    const items = [{ prompt: "the cat", continuation: " sees a dog." }, { prompt: "two", continuation: " birds" }];
    const ref = await builtin.scoreBatch(items);
    for (const mode of ["echo", "vllm"] as const) {
      const client = await createOpenAIModel({ endpoints: [server.url], model: "tiny", promptLogprobs: mode });
      const got = await client.scoreBatch(items);
      got.forEach((g, i) => {
        expect(g.tokens.map((t) => t.token)).toEqual(ref[i].tokens.map((t) => t.token));
        g.tokens.forEach((t, j) => {
          expect(Math.abs(t.logprob - ref[i].tokens[j].logprob), `${mode} item ${i} token ${j}`).toBeLessThan(1e-9);
          expect(t.isGreedy).toBe(ref[i].tokens[j].isGreedy);
        });
      });
      await client.close();
    }
  });

  it("generates through HTTP as the engine does (greedy, seeded, chat, stream)", async () => {
    const client = await createOpenAIModel({ endpoints: [server.url], model: "tiny" });
    const direct = await builtin.generate({ prompt: "a red", maxTokens: 10, temperature: 0 });
    const http = await client.generate({ prompt: "a red", maxTokens: 10, temperature: 0 });
    expect(http.samples[0].text).toBe(direct.samples[0].text);
    const s1 = await client.generate({ prompt: "a", maxTokens: 8, temperature: 1, seed: 4, n: 2 });
    const s2 = await builtin.generate({ prompt: "a", maxTokens: 8, temperature: 1, seed: 4, n: 2 });
    expect(s1.samples.map((s) => s.text)).toEqual(s2.samples.map((s) => s.text));
    const chat = await post("/chat/completions", { model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 5, temperature: 0 });
    expect(chat.status).toBe(200);
    const directChat = await builtin.generate({ messages: [{ role: "user", content: "hi" }], maxTokens: 5, temperature: 0 });
    expect((chat.json.choices as { message: { content: string } }[])[0].message.content).toBe(directChat.samples[0].text);
    await client.close();
  });

  it("streams token by token, holding back text that could become a stop string", async () => {
    const sse = async (path: string, body: unknown) => {
      const res = await fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const lines = (await res.text()).split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
      expect(lines[lines.length - 1]).toBe("[DONE]");
      return lines.slice(0, -1).map((l) => JSON.parse(l) as { choices: { text?: string; delta?: { content?: string }; finish_reason: string | null }[] });
    };
    const direct = await builtin.generate({ prompt: "a red", maxTokens: 10, temperature: 0 });
    const chunks = await sse("/completions", { model: "tiny", prompt: "a red", max_tokens: 10, temperature: 0, stream: true });
    expect(chunks.length).toBeGreaterThan(2); // incremental, not one finished block
    expect(chunks.map((c) => c.choices[0].text).join("")).toBe(direct.samples[0].text);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe(direct.samples[0].finishReason === "context" ? "length" : direct.samples[0].finishReason);
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    // a two-character stop string taken from the greedy text: the stream stops before it
    const full = direct.samples[0].text;
    expect(full.length, `greedy text "${full}" too short`).toBeGreaterThanOrEqual(4);
    const stop = full.slice(2, 4);
    const stopped = await builtin.generate({ prompt: "a red", maxTokens: 10, temperature: 0, stop: [stop] });
    const streamed = await sse("/completions", { model: "tiny", prompt: "a red", max_tokens: 10, temperature: 0, stop, stream: true });
    expect(streamed.map((c) => c.choices[0].text).join("")).toBe(stopped.samples[0].text);
    expect(streamed.map((c) => c.choices[0].text).join("")).not.toContain(stop);
    const chat = await sse("/chat/completions", { model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 6, temperature: 0, stream: true });
    const directChat = await builtin.generate({ messages: [{ role: "user", content: "hi" }], maxTokens: 6, temperature: 0 });
    expect(chat.map((c) => c.choices[0].delta?.content ?? "").join("")).toBe(directChat.samples[0].text);
    const tooLong = await post("/completions", { model: "tiny", prompt: "x".repeat(200), max_tokens: 4, stream: true });
    expect(tooLong.status).toBe(400);
    expect((tooLong.json.error as { message: string }).message).toMatch(/context length/);
  });

  it("answers bad requests with OpenAI-shaped errors that say what is wrong", async () => {
    const badJson = await post("/completions", "{ nope");
    expect(badJson.status).toBe(400);
    expect((badJson.json.error as { message: string }).message).toMatch(/not valid JSON/);
    const wrongModel = await post("/completions", { model: "other", prompt: "x" });
    expect(wrongModel.status).toBe(404);
    expect((wrongModel.json.error as { message: string }).message).toMatch(/serves "tiny"/);
    const badField = await post("/completions", { model: "tiny", prompt: "x", max_tokens: -1 });
    expect(badField.status).toBe(400);
    expect((badField.json.error as { param: string }).param).toBe("max_tokens");
    const noRoute = await fetch(server.url + "/embeddings", { method: "POST" });
    expect(noRoute.status).toBe(404);
  });
});

describe("ftledger serve with a tokenizer that adds a BOS (as Llama tokenizers do)", () => {
  let bosModel: LanguageModel;
  let bosServer: RunningServer;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-serve-bos-"));
    const m = Llama.f32(config, createTsKernels());
    m.initialize(createRng(22), 0.3);
    const r = await saveCheckpoint(join(dir, "m"), { config, params: m.params.flat, tokenizer: tok });
    if (!r.ok) throw new Error("save failed");
    // the HF post-processor that prepends <bos>, as in Llama's tokenizer.json
    const tokPath = join(dir, "m", "tokenizer.json");
    const tj = JSON.parse(await readFile(tokPath, "utf8"));
    tj.post_processor = {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<bos>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<bos>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<bos>": { id: "<bos>", ids: [tok.bos], tokens: ["<bos>"] } },
    };
    await writeFile(tokPath, JSON.stringify(tj));
    bosModel = await openBuiltinModel(join(dir, "m"), { kernels: createTsKernels() });
    bosServer = await startServer(bosModel, { port: 0, modelName: "bos" });
  });
  afterAll(async () => {
    await bosServer?.close();
  });

  it("echo skips the BOS in text offsets, and the openai backend scores like the engine", async () => {
    const res = await fetch(bosServer.url + "/completions", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "bos", prompt: "ab", max_tokens: 0, echo: true, logprobs: 1 }),
    });
    const body = (await res.json()) as { choices: { text: string; logprobs: { tokens: string[]; token_logprobs: (number | null)[]; text_offset: number[] } }[] };
    const lp = body.choices[0].logprobs;
    expect(lp.tokens).toEqual(["<bos>", "a", "b"]);
    expect(lp.token_logprobs[0]).toBeNull();
    expect(lp.text_offset).toEqual([0, 0, 1]);
    const items = [{ prompt: "the cat", continuation: " sees a dog." }, { prompt: "two", continuation: " birds" }];
    const ref = await bosModel.scoreBatch(items);
    for (const mode of ["echo", "vllm"] as const) {
      const client = await createOpenAIModel({ endpoints: [bosServer.url], model: "bos", promptLogprobs: mode });
      const got = await client.scoreBatch(items);
      got.forEach((g, i) => g.tokens.forEach((t, j) => expect(Math.abs(t.logprob - ref[i].tokens[j].logprob), `${mode} ${i}/${j}`).toBeLessThan(1e-9)));
      await client.close();
    }
  });

  it("serves a backend without token access (plain completions; log-probs refused clearly)", async () => {
    const remote = await createOpenAIModel({ endpoints: [bosServer.url], model: "bos" });
    const proxy = await startServer(remote, { port: 0, modelName: "proxy" });
    try {
      const ok = await fetch(proxy.url + "/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "proxy", prompt: "the", max_tokens: 5, temperature: 0 }) });
      expect(ok.status).toBe(200);
      const direct = await bosModel.generate({ prompt: "the", maxTokens: 5, temperature: 0 });
      expect(((await ok.json()) as { choices: { text: string }[] }).choices[0].text).toBe(direct.samples[0].text);
      const refused = await fetch(proxy.url + "/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "proxy", prompt: "the", max_tokens: 5, logprobs: 1 }) });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/no token access/);
    } finally {
      await proxy.close();
      await remote.close();
    }
  });
});

describe("ftledger serve streaming errors", () => {
  it("an error after the stream started arrives as an error event", async () => {
    // a backend whose stream fails after its first piece of text
    const failing: LanguageModel = {
      id: "test:failing",
      generate: async () => ({ samples: [{ text: "", finishReason: "stop" }] }),
      generateBatch: async () => [],
      score: async () => ({ logprob: 0, isGreedy: true, tokens: [] }),
      scoreBatch: async () => [],
      async *generateStream() {
        yield { index: 0, delta: "hel" };
        throw new Error("the backend fell over");
      },
      close: async () => {},
    };
    const s = await startServer(failing, { port: 0, modelName: "f" });
    try {
      const res = await fetch(s.url + "/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "f", prompt: "x", max_tokens: 4, stream: true }) });
      const events = (await res.text()).split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)) as { choices?: { text: string }[]; error?: { message: string } });
      expect(events[0].choices![0].text).toBe("hel");
      expect(events[events.length - 1].error?.message).toBe("the backend fell over");
    } finally {
      await s.close();
    }
  });
});
