/**
 * Fault tests against a real local server that misbehaves on purpose (issue 3, "Must
 * show"): the client recovers where it should, fails with a clear error where it cannot,
 * and a failed request never yields a result.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BackendError, createOpenAIModel } from "../../../src/backends/openai/index.js";
import { useFakeServers } from "./harness.js";
import { startFakeOpenAIServer, toyLogprob } from "../../helpers/fake-openai-server.js";

const { setup, servers, models } = useFakeServers({ retryBaseMs: 2, retryMaxMs: 10, timeoutMs: 2000 });

const REQ = { prompt: "abc", continuation: "de" };
const WANT = toyLogprob("c", "d") + toyLogprob("d", "e");

async function rejection(p: Promise<unknown>): Promise<BackendError> {
  const settled = await p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  expect(settled).not.toHaveProperty("value"); // a failed request never yields a result
  const e = (settled as { error: unknown }).error;
  expect(e).toBeInstanceOf(BackendError);
  return e as BackendError;
}

describe("openai transport recovers", () => {
  it("429 with Retry-After (seconds): waits as told, then succeeds", async () => {
    const { s, m } = await setup();
    s.faults.push({ kind: "status", status: 429, retryAfter: "1", message: "rate limited" });
    const got = await m.score(REQ);
    expect(got.logprob).toBeCloseTo(WANT, 10);
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1].at - s.requests[0].at).toBeGreaterThanOrEqual(950);
  });

  it("429 with an HTTP-date Retry-After, capped by retryAfterMaxMs", async () => {
    const { s, m } = await setup({}, { retryAfterMaxMs: 50 });
    s.faults.push({ kind: "status", status: 429, retryAfter: new Date(Date.now() + 3_600_000).toUTCString() });
    const t0 = Date.now();
    await m.score(REQ);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(s.requests).toHaveLength(2);
  });

  it.each([
    ["500s", [{ kind: "status", status: 500 }, { kind: "status", status: 503 }]],
    ["a dropped connection", [{ kind: "drop" }]],
    ["malformed JSON once", [{ kind: "malformed" }]],
    ["a slow response within the timeout", [{ kind: "delay", ms: 200 }]],
  ] as const)("%s", async (_, faults) => {
    const { s, m } = await setup();
    s.faults.push(...faults);
    const got = await m.score(REQ);
    expect(got.logprob).toBeCloseTo(WANT, 10);
    expect(s.requests).toHaveLength(faults[0].kind === "delay" ? 1 : faults.length + 1);
  });

  it("generation recovers too", async () => {
    const { s, m } = await setup();
    s.faults.push({ kind: "status", status: 502 }, { kind: "drop" });
    const g = await m.generate({ prompt: "ab", maxTokens: 2, temperature: 0 });
    expect(g.samples[0].text).toBe("cd");
  });
});

describe("openai transport fails clearly", () => {
  it("persistent 500: gives up after maxRetries + 1 attempts with the server's message", async () => {
    const { s, m } = await setup({}, { maxRetries: 2 });
    s.always = { kind: "status", status: 500, message: "CUDA out of memory" };
    const e = await rejection(m.score(REQ));
    expect(e.code).toBe("server_error");
    expect(e.status).toBe(500);
    expect(e.message).toContain(s.url);
    expect(e.message).toMatch(/CUDA out of memory.*after 3 attempt\(s\)/);
    expect(s.requests).toHaveLength(3);
  });

  it("a timeout on every attempt", async () => {
    const { s, m } = await setup({}, { timeoutMs: 60, maxRetries: 1 });
    s.always = { kind: "delay", ms: 400 };
    const e = await rejection(m.score(REQ));
    expect(e.code).toBe("timeout");
    expect(e.message).toMatch(/no response within 60 ms \(the timeout\) after 2 attempt\(s\).*--timeout SECONDS/);
  });

  it("malformed JSON every time", async () => {
    const { s, m } = await setup({}, { maxRetries: 1 });
    s.always = { kind: "malformed" };
    const e = await rejection(m.score(REQ));
    expect(e.code).toBe("bad_json");
    expect(s.requests).toHaveLength(2);
  });

  it("connection refused", async () => {
    const { s } = await setup();
    const url = s.url;
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const m = await createOpenAIModel({ endpoints: [url], model: "toy", maxRetries: 1, retryBaseMs: 1, retryMaxMs: 2 });
    models.push(m);
    const e = await rejection(m.generate({ prompt: "a", maxTokens: 1 }));
    expect(e.code).toBe("connection");
    expect(e.message).toMatch(/ECONNREFUSED.*Check that the server is running/);
  });

  it("other 4xx are not retried", async () => {
    const { s, m } = await setup();
    s.faults.push({ kind: "status", status: 400, message: "prompt too long" });
    const e = await rejection(m.generate({ prompt: "a", maxTokens: 1 }));
    expect(e.code).toBe("http_error");
    expect(e.message).toMatch(/HTTP 400: prompt too long/);
    expect(s.requests).toHaveLength(1);
  });

  it("scoring in auto mode reports the server's own 4xx, not a missing feature", async () => {
    const { s, m } = await setup();
    s.always = { kind: "status", status: 400, message: "prompt too long" };
    const e = await rejection(m.score(REQ));
    expect(e.code).toBe("http_error");
    expect(e.message).toMatch(/HTTP 400: prompt too long/);
  });

  it("one failure rejects the whole batch", async () => {
    const { s, m } = await setup({}, { maxRetries: 0, concurrency: 1 });
    s.faults.push({ kind: "delay", ms: 1 }, { kind: "status", status: 500 });
    await rejection(m.scoreBatch([REQ, REQ, REQ]));
  });

  it("close() aborts what is in flight", async () => {
    const { s, m } = await setup();
    s.always = { kind: "delay", ms: 1000 };
    const p = m.score(REQ);
    await new Promise((r) => setTimeout(r, 50));
    await m.close();
    expect((await rejection(p)).code).toBe("closed");
  });
});

describe("openai API key", () => {
  const ENV = "FTLEDGER_TEST_OPENAI_KEY";
  const GOOD = "sk-test-good-0123456789abcdef";
  const BAD = "sk-test-bad-9876543210fedcba";
  beforeAll(() => {
    delete process.env[ENV];
  });
  afterEach(() => {
    delete process.env[ENV];
  });

  it("is read from the environment at request time and sent as a Bearer token, never in the id", async () => {
    process.env[ENV] = GOOD;
    const { s, m } = await setup({ apiKey: GOOD }, { apiKeyEnv: ENV });
    await m.score(REQ);
    expect(s.requests[0].authorization).toBe(`Bearer ${GOOD}`);
    expect(m.id).not.toContain(GOOD);
    expect(JSON.stringify(m)).not.toContain(GOOD);
  });

  it("a wrong key: 401 at open, not retried, the key never in the message", async () => {
    process.env[ENV] = BAD;
    const s = await startFakeOpenAIServer({ apiKey: GOOD });
    servers.push(s);
    const e = await rejection(createOpenAIModel({ endpoints: [s.url], model: "toy", apiKeyEnv: ENV }));
    expect(e.code).toBe("auth");
    expect(e.status).toBe(401);
    expect(e.message).toContain(`Check the key in ${ENV}`);
    expect(e.message).not.toContain(BAD);
    expect(e.message).not.toContain(BAD.slice(-8));
    expect(JSON.stringify(e.detail)).not.toContain(BAD);
  });

  it("a key that goes bad later: the request fails with 401, redacted", async () => {
    process.env[ENV] = GOOD;
    const { s, m } = await setup({ apiKey: GOOD }, { apiKeyEnv: ENV });
    process.env[ENV] = BAD;
    const e = await rejection(m.score(REQ));
    expect(e.code).toBe("auth");
    expect(e.message).not.toContain(BAD);
    expect(s.requests).toHaveLength(1);
  });

  it("a server that wants a key, given none: the 401 says which flag passes one", async () => {
    const s = await startFakeOpenAIServer({ apiKey: GOOD });
    servers.push(s);
    const e = await rejection(createOpenAIModel({ endpoints: [s.url], model: "toy" }));
    expect(e.code).toBe("auth");
    expect(e.message).toContain("--api-key-env NAME");
    expect(e.message).not.toContain("pass apiKeyEnv");
  });

  it("an unset variable is named, with what to do", async () => {
    const s = await startFakeOpenAIServer();
    servers.push(s);
    const e = await rejection(createOpenAIModel({ endpoints: [s.url], model: "toy", apiKeyEnv: ENV }));
    expect(e.code).toBe("missing_api_key");
    expect(e.message).toContain(`Export ${ENV}=<key>`);
  });
});
