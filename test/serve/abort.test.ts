/**
 * Work for a client that has gone stops: the builtin backend honours a request's
 * AbortSignal between decoding steps (and lets a short request finish beside a long one),
 * and a real `ftledger serve` server (Hono on @hono/node-server) aborts that signal when
 * the client disconnects.
 */
import { request } from "node:http";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
import { saveCheckpoint } from "../../src/formats/index.js";
import { openBuiltinModel, type GenerateRequest, type LanguageModel } from "../../src/backends/index.js";
import { startServer, type RunningServer } from "../../src/serve/index.js";

const tok = new CharTokenizer();
const config: ModelConfig = {
  vocabSize: tok.size, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 48,
  contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
};
let builtin: LanguageModel;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ftledger-serve-abort-"));
  const m = Llama.f32(config, createTsKernels());
  m.initialize(createRng(5), 0.3);
  const r = await saveCheckpoint(join(dir, "m"), { config, params: m.params.flat, tokenizer: tok });
  if (!r.ok) throw new Error("save failed");
  builtin = await openBuiltinModel(join(dir, "m"), { kernels: createTsKernels() });
});

/** Waits until `ok()` holds, checking every 10 ms, failing after `ms`. */
async function until(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("builtin backend: AbortSignal", () => {
  it("rejects with an AbortError when the signal fires during generation", async () => {
    await expect(builtin.generate({ prompt: "a", maxTokens: 4, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    const ac = new AbortController();
    const long = builtin.generate({ prompt: "a", maxTokens: 60, n: 64, temperature: 1, seed: 1, signal: ac.signal });
    setTimeout(() => ac.abort(), 1);
    await expect(long).rejects.toMatchObject({ name: "AbortError" });
    const stream = builtin.generateStream!({ prompt: "a", maxTokens: 60, n: 64, temperature: 1, seed: 1, signal: AbortSignal.abort() });
    await expect((async () => { for await (const _ of stream) { /* nothing */ } })()).rejects.toMatchObject({ name: "AbortError" });
    await expect(builtin.scoreBatch([{ prompt: "a", continuation: "b", signal: AbortSignal.abort() }])).rejects.toMatchObject({ name: "AbortError" });
  });

  it("gives the same text with a signal as without", async () => {
    const req: GenerateRequest = { prompt: "the cat", maxTokens: 12, n: 3, temperature: 1, seed: 9 };
    const plain = await builtin.generate(req);
    const withSignal = await builtin.generate({ ...req, signal: new AbortController().signal });
    expect(withSignal.samples.map((s) => s.text)).toEqual(plain.samples.map((s) => s.text));
  });

  it("lets a short request finish before a long one that started first", async () => {
    const done: string[] = [];
    const long = builtin.generate({ prompt: "a", maxTokens: 60, n: 16, temperature: 1, seed: 2, signal: new AbortController().signal }).then(() => done.push("long"));
    const short = builtin.generate({ prompt: "b", maxTokens: 3, temperature: 0, signal: new AbortController().signal }).then(() => done.push("short"));
    await Promise.all([long, short]);
    expect(done).toEqual(["short", "long"]);
  });
});

describe("ftledger serve: a client that disconnects", () => {
  let server: RunningServer;
  const calls: { settled?: string }[] = [];
  let scorings = 0;

  beforeAll(async () => {
    // the builtin model, with each generate call's outcome recorded
    const spy = Object.create(builtin) as LanguageModel;
    spy.generate = async (req) => {
      const call: { settled?: string } = {};
      calls.push(call);
      try {
        const g = await builtin.generate(req);
        call.settled = "done";
        return g;
      } catch (e) {
        call.settled = (e as Error).name;
        throw e;
      }
    };
    spy.scoreTokens = async (ids, k) => {
      scorings++;
      return builtin.scoreTokens!(ids, k);
    };
    server = await startServer(spy, { port: 0, modelName: "tiny", limits: { maxConcurrent: 1 } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("stops a non-streamed request's work when the client goes away", async () => {
    const prompts = Array.from({ length: 64 }, (_, i) => `prompt ${i}`);
    const body = JSON.stringify({ model: "tiny", prompt: prompts, n: 8, max_tokens: 60, temperature: 1, seed: 3 });
    const url = new URL(server.url + "/completions");
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } });
    req.on("error", () => {}); // destroyed below
    req.end(body);
    await until(() => calls.length >= 1, "the first generate call");
    req.destroy();
    await until(() => calls.some((c) => c.settled === "AbortError"), "a generate call to stop with an AbortError");
    expect(calls.length).toBeLessThan(prompts.length);
    const settledBefore = calls.length;
    // the slot is free again (--max-concurrent 1): the next request is served at once
    const next = await fetch(server.url + "/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", prompt: "x", max_tokens: 2 }) });
    expect(next.status).toBe(200);
    expect(calls.length).toBe(settledBefore + 1);
  }, 30_000);

  it("echo scoring: n identical choices are scored once, and the work stops when the client goes away", async () => {
    const one = await fetch(server.url + "/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", prompt: "a b c", max_tokens: 0, echo: true, logprobs: 1, n: 16 }) });
    expect(one.status).toBe(200);
    const body = (await one.json()) as { choices: { index: number; logprobs: unknown }[] };
    expect(body.choices.map((c) => c.index)).toEqual([...Array(16).keys()]);
    expect(new Set(body.choices.map((c) => JSON.stringify(c.logprobs))).size).toBe(1);
    expect(scorings).toBe(1);
    scorings = 0;
    const prompts = Array.from({ length: 64 }, (_, i) => `${"long prompt ".repeat(5)}${i}`);
    const payload = JSON.stringify({ model: "tiny", prompt: prompts, max_tokens: 0, echo: true, logprobs: 5, n: 1 });
    const url = new URL(server.url + "/completions");
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } });
    req.on("error", () => {}); // destroyed below
    req.end(payload);
    await until(() => scorings >= 2, "the first scorings");
    req.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const after = scorings;
    await new Promise((r) => setTimeout(r, 300));
    expect(scorings).toBe(after); // stopped
    expect(scorings).toBeLessThan(prompts.length);
  }, 30_000);
});
