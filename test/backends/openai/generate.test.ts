import { afterAll, describe, expect, it } from "vitest";
import { createOpenAIModel } from "../../../src/backends/openai/index.js";
import { modelId } from "../../../src/backends/openai/identity.js";
import { type FakeServer, startFakeOpenAIServer } from "../../helpers/fake-openai-server.js";

const servers: FakeServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
async function server(opts: Parameters<typeof startFakeOpenAIServer>[0] = {}) {
  const s = await startFakeOpenAIServer(opts);
  servers.push(s);
  return s;
}

describe("openai generate", () => {
  it("forwards sampling parameters to /v1/completions and maps the answer", async () => {
    const s = await server();
    const m = await createOpenAIModel({ endpoints: [s.url], model: "toy" });
    const g = await m.generate({ prompt: "abc", maxTokens: 5, temperature: 0.7, topP: 0.9, topK: 40, seed: 3, stop: ["g"], n: 2, logprobs: true });
    expect(s.requests[0].path).toBe("/v1/completions");
    expect(s.requests[0].body).toEqual({ model: "toy", prompt: "abc", max_tokens: 5, temperature: 0.7, top_p: 0.9, top_k: 40, seed: 3, stop: ["g"], n: 2, logprobs: 1 });
    expect(g.samples).toHaveLength(2);
    expect(g.samples[0]).toMatchObject({ text: "def", finishReason: "stop" });
    expect(g.samples[0].tokens?.map((t) => t.token)).toEqual(["d", "e", "f"]);
    const long = await m.generate({ prompt: "abc", maxTokens: 3, temperature: 0 });
    expect(long.samples).toEqual([{ text: "def", finishReason: "length" }]);
    expect(s.requests[1].body).toEqual({ model: "toy", prompt: "abc", max_tokens: 3, temperature: 0 });
    await m.close();
  });

  it("uses /v1/chat/completions for messages and for chat: true", async () => {
    const s = await server();
    const m = await createOpenAIModel({ endpoints: [s.url], model: "toy", chat: true });
    const g = await m.generate({ prompt: "xyz", maxTokens: 2, logprobs: true });
    expect(s.requests[0].path).toBe("/v1/chat/completions");
    expect(s.requests[0].body).toMatchObject({ messages: [{ role: "user", content: "xyz" }], logprobs: true, top_logprobs: 1 });
    expect(g.samples[0].text).toBe(" a");
    expect(g.samples[0].tokens).toHaveLength(2);
    // Scoring still goes to /v1/completions: chat endpoints have no prompt logprobs.
    await m.score({ prompt: "ab", continuation: "c" });
    expect(s.requests[1].path).toBe("/v1/completions");
    await m.close();
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    const s = await server();
    s.always = { kind: "delay", ms: 30 };
    const m = await createOpenAIModel({ endpoints: [s.url], model: "toy", concurrency: 3 });
    const reqs = Array.from({ length: 12 }, (_, i) => ({ prompt: `p${i}`, continuation: "x" }));
    const got = await m.scoreBatch(reqs);
    expect(got).toHaveLength(12);
    expect(s.maxInFlight).toBe(3);
    await m.close();
  });

  it("spreads requests over several endpoints", async () => {
    const a = await server();
    const b = await server();
    a.always = b.always = { kind: "delay", ms: 10 };
    const m = await createOpenAIModel({ endpoints: [a.url, b.url], model: "toy", concurrency: 4 });
    await m.generateBatch(Array.from({ length: 10 }, () => ({ prompt: "ab", maxTokens: 1 })));
    expect(a.requests.length).toBeGreaterThanOrEqual(4);
    expect(b.requests.length).toBeGreaterThanOrEqual(4);
    expect(a.requests.length + b.requests.length).toBe(10);
    await m.close();
  });

  it("id: stable, independent of endpoint order, changes with model or server version", async () => {
    const a = await server();
    const b = await server();
    const c = await server({ version: "2" });
    const id = async (endpoints: string[]) => (await createOpenAIModel({ endpoints, model: "toy" })).id;
    const ab = await id([a.url, b.url]);
    expect(ab).toMatch(/^openai:toy@[0-9a-f]{16}$/);
    expect(await id([b.url, a.url])).toBe(ab);
    expect(await id([a.url, b.url])).toBe(ab);
    expect(await id([a.url])).not.toBe(ab);
    expect(await id([c.url])).toBe(modelId([c.url], "toy", ["owned_by=fake", "root=fake-root-2", "version=2"]));
    expect(modelId([c.url], "toy", ["version=2"])).not.toBe(modelId([c.url], "toy", ["version=3"]));
    expect(modelId([c.url], "toy", [])).not.toBe(modelId([c.url], "toy2", []));
  });

  it("a model the server does not list is refused at open, with the names it has", async () => {
    const s = await server();
    await expect(createOpenAIModel({ endpoints: [s.url], model: "gpt-9" })).rejects.toThrow(/does not serve model "gpt-9" \(it lists: toy\)/);
  });
});
