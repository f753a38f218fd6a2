/**
 * Failover across replicas (`openai:URL1,URL2#MODEL`): a failed attempt moves to another
 * endpoint, a failed endpoint is benched and probed again later, a Retry-After holds one
 * endpoint without holding the request, and the request fails only when every endpoint
 * has failed it, with each endpoint's last failure in the message.
 */
import { describe, expect, it } from "vitest";
import type { LanguageModel } from "../../../src/backends/language-model.js";
import { BackendError } from "../../../src/backends/openai/index.js";
import type { Fault } from "../../helpers/fake-openai-server.js";
import { toyLogprob } from "../../helpers/fake-openai-server.js";
import { useFakeServers } from "./harness.js";

const { server, open, deadUrl } = useFakeServers({ retryBaseMs: 2, retryMaxMs: 10, timeoutMs: 2000 });

const REQ = { prompt: "abc", continuation: "de" };
const WANT = toyLogprob("c", "d") + toyLogprob("d", "e");
const SCORES = [REQ, { prompt: "xy", continuation: " z" }, { prompt: "hello", continuation: " wor" }, { prompt: "q:", continuation: "a" }];
const GENERATIONS = [{ prompt: "ab", maxTokens: 3, temperature: 0 }, { prompt: "k", maxTokens: 2, temperature: 0 }];

async function answers(m: LanguageModel) {
  const [scores, generations] = await Promise.all([m.scoreBatch(SCORES), m.generateBatch(GENERATIONS)]);
  return { scores, generations };
}

async function rejection(p: Promise<unknown>): Promise<BackendError> {
  const settled = await p.then((value) => ({ value }), (error: unknown) => ({ error }));
  expect(settled).not.toHaveProperty("value");
  const e = (settled as { error: unknown }).error;
  expect(e).toBeInstanceOf(BackendError);
  return e as BackendError;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a bad replica beside a live one", () => {
  const kinds: [string, Fault | "refused"][] = [
    ["refuses connections", "refused"],
    ["hangs past the timeout", { kind: "delay", ms: 20_000 }],
    ["answers 500", { kind: "status", status: 500, message: "CUDA out of memory" }],
    ["drops the connection", { kind: "drop" }],
    ["answers garbage", { kind: "malformed" }],
  ];
  it.each(kinds)("one that %s: every request is answered, as the live one alone answers it", async (_, fault) => {
    const live = await server();
    let bad: string;
    if (fault === "refused") bad = await deadUrl();
    else {
      const s = await server();
      s.always = fault;
      bad = s.url;
    }
    // maxRetries 0: moving to another replica is not a retry, so none is needed
    const client = { maxRetries: 0, timeoutMs: 300 };
    const alone = await answers(await open([live.url], client));
    const before = live.requests.length;
    const both = await answers(await open([bad, live.url], client));
    expect(both).toEqual(alone);
    expect(both.scores[0].logprob).toBeCloseTo(WANT, 10);
    // each request was served once by the live replica: none in flight there was restarted
    expect(live.requests.length - before).toBe(SCORES.length + GENERATIONS.length);
  });
});

describe("every replica down", () => {
  it("fails with one error that names each endpoint and its last failure", async () => {
    const refused = await deadUrl();
    const failing = await server();
    failing.always = { kind: "status", status: 503, message: "model is loading" };
    const m = await open([refused, failing.url], { maxRetries: 1 });
    const e = await rejection(m.score(REQ));
    expect(e.code).toBe("endpoints_down");
    expect(e.message).toContain(`${refused}: could not connect (ECONNREFUSED`);
    expect(e.message).toContain(`${failing.url}: HTTP 503: model is loading`);
    expect(e.message).toMatch(/4 attempt\(s\) over 2 endpoints.*--retries N/);
    expect(failing.requests).toHaveLength(2); // one per round
  });
});

describe("benching", () => {
  it("a failed endpoint gets no requests while benched, and is probed and used again once it recovers", async () => {
    const a = await server();
    const b = await server();
    a.always = { kind: "status", status: 502, message: "bad gateway" };
    const m = await open([a.url, b.url], { maxRetries: 0, benchBaseMs: 150, benchMaxMs: 150 });
    expect((await m.score(REQ)).logprob).toBeCloseTo(WANT, 10); // a first (it fails), then b
    expect(a.requests).toHaveLength(1);
    for (let i = 0; i < 4; i++) await m.score(REQ);
    expect(a.requests).toHaveLength(1); // benched: skipped while b is healthy
    a.always = undefined;
    await sleep(250);
    for (let i = 0; i < 4; i++) expect((await m.score(REQ)).logprob).toBeCloseTo(WANT, 10);
    expect(a.requests.length).toBeGreaterThan(1); // the bench ended: probed, answered, and in the rotation again
  });

  it("a 429 with Retry-After holds that endpoint and the request moves to another at once", async () => {
    const a = await server();
    const b = await server();
    a.faults.push({ kind: "status", status: 429, retryAfter: "30", message: "rate limited" });
    const m = await open([a.url, b.url], { maxRetries: 0 });
    expect((await m.score(REQ)).logprob).toBeCloseTo(WANT, 10);
    expect([a.requests.length, b.requests.length]).toEqual([1, 1]);
    await m.score(REQ);
    expect([a.requests.length, b.requests.length]).toEqual([1, 2]); // held for its 30 s
  });
});

describe("the model's id over replicas", () => {
  it("does not depend on which replica is up, nor on their order, so cached answers carry over", async () => {
    const a = await server({ version: "7" });
    const b = await server({ version: "7" });
    const up = await open([a.url, b.url]);
    const reversed = await open([b.url, a.url]);
    await a.close();
    const oneDown = await open([a.url, b.url]);
    expect(reversed.id).toBe(up.id);
    expect(oneDown.id).toBe(up.id);
    expect((await oneDown.score(REQ)).logprob).toBeCloseTo(WANT, 10);
  });
});

describe("the caller's AbortSignal", () => {
  it("cancels the request in flight and starts no retry or failover: an AbortError, not an endpoint failure", async () => {
    const slow = await server();
    slow.always = { kind: "delay", ms: 5_000 };
    const other = await server();
    const m = await open([slow.url, other.url], { maxRetries: 3, timeoutMs: 10_000 });
    const before = other.requests.length;
    const ac = new AbortController();
    const started = Date.now();
    const pending = m.generate({ prompt: "ab", maxTokens: 2, temperature: 0, signal: ac.signal });
    // the first attempt goes to the first healthy endpoint, the slow one; abort once it is in flight
    await sleep(100);
    ac.abort("the client went away");
    const settled = await pending.then(() => "answered", (e: unknown) => e);
    expect(settled).toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeLessThan(4_000); // not the 5 s delay: the request was cancelled
    await sleep(200);
    expect(other.requests.length - before).toBe(0); // no failover to the other replica after the abort
    await expect(m.generate({ prompt: "ab", maxTokens: 2, temperature: 0, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
  });
});
