/**
 * `ftledger serve` under abuse, through `app.fetch`: body and prompt limits refused before
 * any reading or tokenizing, the work queue (429 with Retry-After, small before big, a
 * waiting client that leaves is dropped), JSON-only POSTs and the optional API key.
 */
import { describe, expect, it } from "vitest";
import { createOpenAIApp } from "../../src/serve/index.js";
import { fakeModel, post, type ErrorBody } from "./helpers.js";

const tick = () => new Promise((r) => setTimeout(r, 20));

describe("serve: request size", () => {
  it("refuses a body over --max-body-bytes from its Content-Length, without reading it", async () => {
    const model = fakeModel();
    const app = createOpenAIApp(model, { limits: { maxBodyBytes: 1000 } });
    // a body that never ends: reading it would hang the test
    const endless = new ReadableStream({ pull: () => new Promise(() => {}) });
    const res = await app.fetch(new Request("http://127.0.0.1/v1/completions", {
      method: "POST", body: endless, duplex: "half", headers: { "content-type": "application/json", "content-length": String(20 * 1024 * 1024) },
    } as RequestInit));
    expect(res.status).toBe(413);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toMatch(/20971520 bytes.*at most 1000 bytes \(--max-body-bytes\)/);
    expect(body.error.type).toBe("invalid_request_error");
    expect(model.prompts).toEqual([]);
  });

  it("refuses a chunked body (no Content-Length) once it passes the limit", async () => {
    const model = fakeModel();
    const app = createOpenAIApp(model, { limits: { maxBodyBytes: 1000 } });
    const chunk = new TextEncoder().encode(" ".repeat(400));
    let sent = 0;
    const body = new ReadableStream({ pull: (c) => (sent++ < 1000 ? c.enqueue(chunk) : c.close()) });
    const res = await app.fetch(new Request("http://127.0.0.1/v1/completions", { method: "POST", body, duplex: "half", headers: { "content-type": "application/json" } } as RequestInit));
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(10); // it stopped reading at the limit
  });

  it("refuses a prompt the model's context cannot hold before tokenizing it", async () => {
    const model = fakeModel({ contextLength: 16 }); // longest token 5 bytes: at most 80 bytes fit
    const app = createOpenAIApp(model);
    const res = await app.fetch(post("/v1/completions", { prompt: "x".repeat(81), max_tokens: 1 }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toMatch(/81 bytes, more than 80: the model's context holds 16 tokens and a token of its vocabulary spells at most 5 bytes/);
    expect(body.error.param).toBe("prompt");
    const chat = await app.fetch(post("/v1/chat/completions", { messages: [{ role: "user", content: "y".repeat(50) }, { role: "user", content: "z".repeat(50) }] }));
    expect(chat.status).toBe(400);
    expect(((await chat.json()) as ErrorBody).error.param).toBe("messages");
    expect(model.tokenized).toEqual([]);
    expect(model.prompts).toEqual([]);
    expect((await app.fetch(post("/v1/completions", { prompt: "x".repeat(80), max_tokens: 1 }))).status).toBe(200);
  });

  it("caps prompts in bytes for a backend without token access (--max-prompt-bytes)", async () => {
    const model = fakeModel({ vocab: false });
    const app = createOpenAIApp(model, { limits: { maxPromptBytes: 100 } });
    const res = await app.fetch(post("/v1/completions", { prompt: ["short", "é".repeat(51)], max_tokens: 1 })); // 102 bytes
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/prompt 1 is 102 bytes, more than 100: .*--max-prompt-bytes/);
    expect(model.prompts).toEqual([]);
  });

  it("refuses a prompt list longer than --max-prompts", async () => {
    const model = fakeModel();
    const app = createOpenAIApp(model);
    const res = await app.fetch(post("/v1/completions", { prompt: Array.from({ length: 5000 }, () => "a"), max_tokens: 1 }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/5000 prompts; this server takes at most 64 per request \(--max-prompts\)/);
    expect(model.prompts).toEqual([]);
  });
});

describe("serve: the work queue", () => {
  it("runs --max-concurrent at once, queues --max-queue, answers the next 429 with Retry-After", async () => {
    const model = fakeModel({ hold: true });
    const app = createOpenAIApp(model, { limits: { maxConcurrent: 1, maxQueue: 1 } });
    const first = app.fetch(post("/v1/completions", { prompt: "one", max_tokens: 1 }));
    const second = app.fetch(post("/v1/completions", { prompt: "two", max_tokens: 1 }));
    await tick();
    expect(model.prompts).toEqual(["one"]);
    const third = await app.fetch(post("/v1/completions", { prompt: "three", max_tokens: 1 }));
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("1");
    const body = (await third.json()) as ErrorBody;
    expect(body.error.type).toBe("rate_limit_error");
    expect(body.error.message).toMatch(/1 requests are computing and 1 waiting.*--max-concurrent 1, --max-queue 1/);
    model.open();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(model.prompts).toEqual(["one", "two"]);
  });

  it("keeps a slot for small requests: a big one waits, a small one that came later runs", async () => {
    const model = fakeModel({ hold: true, contextLength: 256 });
    const app = createOpenAIApp(model, { limits: { maxConcurrent: 2 } });
    const big = (p: string) => post("/v1/completions", { prompt: p, n: 16, max_tokens: 200 }); // 16 × 202 positions > 2048
    const a = app.fetch(big("big A"));
    const b = app.fetch(big("big B"));
    await tick();
    const c = app.fetch(post("/v1/completions", { prompt: "small C", max_tokens: 4 }));
    await tick();
    expect(model.prompts).toEqual(["big A", "small C"]);
    model.open();
    expect((await Promise.all([a, b, c])).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(model.prompts).toEqual(["big A", "small C", "big B"]);
  });

  it("drops a waiting request whose client leaves", async () => {
    const model = fakeModel({ hold: true });
    const app = createOpenAIApp(model, { limits: { maxConcurrent: 1, maxQueue: 1 } });
    const first = app.fetch(post("/v1/completions", { prompt: "one", max_tokens: 1 }));
    const leaving = new AbortController();
    const gone = app.fetch(post("/v1/completions", { prompt: "gone", max_tokens: 1 }, {}, leaving.signal));
    await tick();
    leaving.abort();
    expect((await gone).status).toBe(499);
    // its place in the queue is free again
    const next = app.fetch(post("/v1/completions", { prompt: "next", max_tokens: 1 }));
    await tick();
    model.open();
    expect((await first).status).toBe(200);
    expect((await next).status).toBe(200);
    expect(model.prompts).toEqual(["one", "next"]);
  });
});

describe("serve: what a browser could send", () => {
  it("takes POST bodies only as application/json (415 for text/plain and forms)", async () => {
    const model = fakeModel();
    const app = createOpenAIApp(model);
    const body = JSON.stringify({ prompt: "a", max_tokens: 1 });
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await app.fetch(new Request("http://127.0.0.1/v1/completions", { method: "POST", headers: { "content-type": type }, body }));
      expect(res.status, type).toBe(415);
      expect(((await res.json()) as ErrorBody).error.message).toMatch(/Content-Type: application\/json/);
    }
    const none = await app.fetch(new Request("http://127.0.0.1/v1/chat/completions", { method: "POST", body: new Blob([body]) }));
    expect(none.status).toBe(415);
    expect(model.prompts).toEqual([]);
    expect((await app.fetch(post("/v1/completions", body, { "content-type": "application/json; charset=utf-8" }))).status).toBe(200);
  });

  it("with an API key, answers only requests that carry it", async () => {
    const app = createOpenAIApp(fakeModel(), { apiKey: "s3cret-key" });
    const models = (auth?: string) => app.fetch(new Request("http://127.0.0.1/v1/models", { headers: auth ? { authorization: auth } : {} }));
    const missing = await models();
    expect(missing.status).toBe(401);
    const body = (await missing.json()) as ErrorBody;
    expect(body.error.type).toBe("authentication_error");
    expect(body.error.message).toMatch(/Authorization: Bearer/);
    expect((await models("Bearer wrong")).status).toBe(401);
    expect((await models("Bearer s3cret-key-and-more")).status).toBe(401);
    expect((await models("Basic s3cret-key")).status).toBe(401);
    expect((await models("Bearer s3cret-key")).status).toBe(200);
    expect((await app.fetch(post("/v1/completions", { prompt: "a", max_tokens: 1 }, { authorization: "Bearer s3cret-key" }))).status).toBe(200);
    // without a key nothing is asked
    expect((await createOpenAIApp(fakeModel()).fetch(new Request("http://127.0.0.1/v1/models"))).status).toBe(200);
  });
});
