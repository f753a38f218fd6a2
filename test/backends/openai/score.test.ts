import { describe, expect, it } from "vitest";
import { BackendError } from "../../../src/backends/openai/index.js";
import { useFakeServers } from "./harness.js";
import { favoured, toyLogprob } from "../../helpers/fake-openai-server.js";

const { setup } = useFakeServers({ retryBaseMs: 1, retryMaxMs: 5 });

/** The toy model's log p(continuation | prompt), character by character. */
function expected(prompt: string, continuation: string) {
  let prev = prompt[prompt.length - 1];
  const tokens = [...continuation].map((c) => {
    const t = { token: c, logprob: toyLogprob(prev, c), isGreedy: c === favoured(prev) };
    prev = c;
    return t;
  });
  return { logprob: tokens.reduce((a, t) => a + t.logprob, 0), tokens, isGreedy: tokens.every((t) => t.isGreedy) };
}

const cases = [
  { prompt: "abc", continuation: "def" }, // all greedy
  { prompt: "hello", continuation: " world" }, // mixed
  { prompt: "Q: 2+2=", continuation: "4" }, // after a non-ALPHA char
];

describe("openai score", () => {
  it("echo: sums the continuation's token logprobs and marks greedy tokens", async () => {
    const { s, m } = await setup({}, { promptLogprobs: "echo" });
    for (const c of cases) {
      const got = await m.score(c);
      const want = expected(c.prompt, c.continuation);
      expect(got.logprob).toBeCloseTo(want.logprob, 10);
      expect(got.isGreedy).toBe(want.isGreedy);
      expect(got.tokens.map((t) => [t.token, t.isGreedy])).toEqual(want.tokens.map((t) => [t.token, t.isGreedy]));
      got.tokens.forEach((t, i) => expect(t.logprob).toBeCloseTo(want.tokens[i].logprob, 10));
    }
    const body = s.requests[0].body;
    expect(body).toMatchObject({ prompt: "abcdef", echo: true, logprobs: 1, temperature: 0, max_tokens: 0 });
    expect(body.prompt_logprobs).toBeUndefined();
  });

  it("vllm: reads prompt_logprobs (token ids, ranks) and gives the same scores", async () => {
    const { s, m } = await setup({ logprobs: "vllm" }, { promptLogprobs: "vllm" });
    const got = await m.scoreBatch(cases);
    got.forEach((g, i) => {
      const want = expected(cases[i].prompt, cases[i].continuation);
      expect(g.logprob).toBeCloseTo(want.logprob, 10);
      expect(g.tokens.map((t) => [t.token, t.isGreedy])).toEqual(want.tokens.map((t) => [t.token, t.isGreedy]));
    });
    expect(got[0].tokens[0].id).toBe("d".charCodeAt(0));
    expect(s.requests[0].body).toMatchObject({ prompt_logprobs: 1, max_tokens: 1, temperature: 0 });
  });

  it("auto: finds prompt_logprobs on a server that ignores echo, once per endpoint", async () => {
    const { s, m } = await setup({ logprobs: "vllm" });
    const a = await m.score(cases[1]);
    expect(a.logprob).toBeCloseTo(expected(cases[1].prompt, cases[1].continuation).logprob, 10);
    expect(s.requests.map((r) => (r.body.echo ? "echo" : "vllm"))).toEqual(["echo", "vllm"]);
    await m.score(cases[0]);
    expect(s.requests.map((r) => (r.body.echo ? "echo" : "vllm"))).toEqual(["echo", "vllm", "vllm"]);
  });

  it("echo falls back to max_tokens 1 where 0 is refused, and ignores the generated token", async () => {
    const { s, m } = await setup({ rejectMaxTokensZero: true }, { promptLogprobs: "echo" });
    const got = await m.score(cases[1]);
    expect(got.logprob).toBeCloseTo(expected(cases[1].prompt, cases[1].continuation).logprob, 10);
    expect(got.tokens.map((t) => t.token).join("")).toBe(" world");
    await m.score(cases[0]);
    expect(s.requests.map((r) => r.body.max_tokens)).toEqual([0, 1, 1]);
  });

  it("a token spanning the prompt/continuation boundary is a clear error", async () => {
    const { m } = await setup({ merges: ["o w"] });
    const err = await m.score({ prompt: "hello", continuation: " world" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe("token_boundary");
    expect((err as BackendError).message).toMatch(/token "o w" spans the prompt\/continuation boundary/);
    // A merge wholly inside the continuation is fine: summed as one token.
    const ok = await m.score({ prompt: "hell", continuation: "o world" });
    expect(ok.tokens.map((t) => t.token)).toEqual(["o w", "o", "r", "l", "d"]);
    expect(ok.logprob).toBeCloseTo(expected("hell", "o world").logprob, 10);
  });

  it("llama.cpp-like server (no prompt logprobs): clear error naming the server and what to use, never a score", async () => {
    const { s, m } = await setup({ logprobs: "llamacpp" });
    const err = await m.score(cases[0]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    const e = err as BackendError;
    expect(e.code).toBe("no_prompt_logprobs");
    expect(e.endpoint).toBe(s.url);
    expect(e.message).toContain(s.url);
    expect(e.message).toMatch(/tried: echo \+ logprobs .*prompt_logprobs/);
    expect(e.message).toMatch(/vLLM or SGLang.*ftledger serve.*gguf:/);
    await expect(m.scoreBatch(cases)).rejects.toThrow(BackendError);
  });

  it.each(["echo", "vllm"] as const)("wrong-token logprobs (%s) are refused, not scored", async (mode) => {
    const { m } = await setup({ logprobs: "wrong-tokens" }, { promptLogprobs: mode });
    const err = await m.score(cases[1]).catch((e: unknown) => e);
    expect((err as BackendError).code).toBe("wrong_tokens");
    expect((err as BackendError).message).toMatch(/do not spell the text that was sent/);
  });

  it("an empty prompt is refused with a hint", async () => {
    const { m } = await setup();
    await expect(m.score({ prompt: "", continuation: "abc" })).rejects.toThrow(/empty prompt.*BOS/);
  });
});
