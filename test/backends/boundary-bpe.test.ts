/**
 * One boundary rule on three backends (src/backends/boundary.ts), with a byte-level BPE
 * whose merges cross the boundary (" 1" + "2" → " 12", "a" + "b" → "ab"): the engine's
 * checkpoint (builtin), its GGUF export run by llama.cpp (gguf), and `ftledger serve`
 * reached over HTTP (openai, boundary by the server's /tokenize ids) score the same
 * continuation tokens with the same log-probs (builtin ↔ openai exact to 1e-9, builtin ↔
 * gguf 1e-4 per token, as test/backends/three-backends.test.ts), and refuse an ambiguous
 * split with the same `token_boundary` detail. A server without /tokenize falls back to
 * text offsets, once, and agrees too.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { BpeTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
import { exportGguf, saveCheckpoint } from "../../src/formats/index.js";
import { BackendError, openModel, type ContinuationScore, type LanguageModel, type ScoreRequest } from "../../src/backends/index.js";
import { BoundaryError, type BoundaryProblem, type TokenBoundary } from "../../src/backends/boundary.js";
import type { RunningServer } from "../../src/serve/index.js";
import { closeThree, maxLogprobDiff, openThree, type Three } from "../helpers/three-backends.js";
import { tempDir, unwrap } from "../formats/helpers.js";

// byte-level text: " " is "Ġ"
const tok = new BpeTokenizer(["ab", "Ġ1", "Ġ12", "12", "Ġab"], [["a", "b"], ["Ġ", "1"], ["Ġ1", "2"], ["1", "2"], ["Ġ", "ab"]]);
const config: ModelConfig = {
  vocabSize: tok.size, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 64, contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};

/** Pairs whose merges could cross the boundary but whose split is clean. */
const CLEAN: ScoreRequest[] = [
  { prompt: "ab", continuation: " 12" }, // " 12" one token after the prompt
  { prompt: "ab ", continuation: "12 ab" }, // the space moves: "ab" + " 12 ab"
  { prompt: "x 12", continuation: " ab" },
];

/** Pairs a merge straddles: the prompt's tokens are not a prefix of the whole's. */
const AMBIGUOUS: { req: ScoreRequest; want: TokenBoundary }[] = [
  { req: { prompt: "ab 1", continuation: "2" }, want: { promptEnd: "ab 1", continuationStart: "2", promptTokens: [" 1"], wholeTokens: [" 12"], spanning: " 12" } },
  { req: { prompt: "x a", continuation: "b" }, want: { promptEnd: "x a", continuationStart: "b", promptTokens: [" ", "a"], wholeTokens: [" ab"], spanning: " ab" } },
];

const dir = await tempDir("boundary-bpe");
let three: Awaited<ReturnType<typeof openThree>> | undefined;
let models: Three;
let server: RunningServer;

beforeAll(async () => {
  const engine = Llama.f32(config, createTsKernels());
  engine.initialize(createRng(41), 0.3);
  const ckpt = join(dir, "ckpt");
  unwrap(await saveCheckpoint(ckpt, { config, params: engine.params.flat, tokenizer: tok }));
  unwrap(await exportGguf(ckpt, join(dir, "m.gguf"), { dtype: "f32" }));
  three = await openThree(ckpt, join(dir, "m.gguf"), "bpe", createTsKernels());
  ({ models, server } = three);
});

afterAll(() => closeThree(three));

const maxDiff = (a: ContinuationScore[], b: ContinuationScore[]) => maxLogprobDiff(a, b, "id");

/** The token_boundary detail a backend rejected with, without the model's name. */
async function boundaryOf(m: LanguageModel, req: ScoreRequest): Promise<{ detail: TokenBoundary; message: string }> {
  const e = await m.score(req).then(() => new Error("scored, expected a token_boundary error"), (x: unknown) => x);
  if (e instanceof BoundaryError && e.detail.code === "token_boundary") {
    const { code: _c, model: _m, ...detail } = e.detail as Extract<BoundaryProblem, { code: "token_boundary" }>;
    return { detail, message: e.message };
  }
  if (e instanceof BackendError && e.detail.code === "token_boundary") return { detail: e.detail.boundary, message: e.message };
  throw e;
}

describe("one boundary rule, three backends, a BPE whose merges cross the boundary", () => {
  it("the tokenizer merges across the boundaries used here (the test's premise)", () => {
    expect(tok.encode(" 12").map((i) => tok.tokens[i])).toEqual(["Ġ12"]);
    expect(tok.encode("ab 1").map((i) => tok.tokens[i])).toEqual(["ab", "Ġ1"]);
    expect(tok.encode("x ab").map((i) => tok.tokens[i])).toEqual(["x", "Ġab"]);
  });

  it("score the same continuation tokens with the same log-probs", async () => {
    const [b, g, o] = await Promise.all([models.builtin.scoreBatch(CLEAN), models.gguf.scoreBatch(CLEAN), models.openai.scoreBatch(CLEAN)]);
    expect(b.map((s) => s.tokens.map((t) => t.id))).toEqual([[tok.idOf("Ġ12")], [tok.idOf("Ġ12"), tok.idOf("Ġab")], [tok.idOf("Ġab")]]);
    const dOpenai = maxDiff(b, o);
    const dGguf = maxDiff(b, g);
    console.log(`max |Δ log p| per token: builtin↔openai ${dOpenai.toExponential(2)}, builtin↔gguf ${dGguf.toExponential(2)}`);
    expect(dOpenai).toBeLessThan(1e-9);
    expect(dGguf).toBeLessThan(1e-4);
    // and name each token by the same text (" 12", not the vocabulary's "Ġ12")
    expect(maxLogprobDiff(b, g, "token")).toBeLessThan(1e-4);
    expect(maxLogprobDiff(b, o, "token")).toBeLessThan(1e-9);
    expect(b[0].tokens[0].token).toBe(" 12");
  });

  it("an empty prompt conditions on BOS (builtin and gguf; the server adds no BOS, so openai refuses it)", async () => {
    const req = { prompt: "", continuation: "ab 12" };
    const [b, g] = [await models.builtin.score(req), await models.gguf.score(req)];
    expect(b.tokens.map((t) => t.id)).toEqual([tok.idOf("ab"), tok.idOf("Ġ12")]);
    expect(maxDiff([b], [g])).toBeLessThan(1e-4);
    await expect(models.openai.score(req)).rejects.toThrow(/empty prompt/);
  });

  it("refuse an ambiguous split with the same clear error", async () => {
    for (const { req, want } of AMBIGUOUS) {
      const got = await Promise.all([models.builtin, models.gguf, models.openai].map((m) => boundaryOf(m, req)));
      for (const g of got) {
        expect(g.detail).toEqual(want);
        expect(g.message).toContain(`the token ${JSON.stringify(want.spanning)} spans the prompt/continuation boundary`);
        expect(g.message).toMatch(/put the space or the merged characters at the start of the continuation/);
      }
      // the same words after the model's name
      const tail = (m: string) => m.slice(m.indexOf(": score: "));
      expect(new Set(got.map((g) => tail(g.message))).size).toBe(1);
      expect(got.map((g) => g.message.slice(0, g.message.indexOf(": score: ")))).toEqual([
        expect.stringMatching(/^builtin:.*ckpt/), `gguf:${join(dir, "m.gguf")}`, `openai:${server.url}#bpe`,
      ]);
    }
  });
});

/**
 * A proxy in front of `ftledger serve` that says it is vLLM (so the client asks /tokenize)
 * and answers POST /tokenize as `tokenize(n)` says for the n-th (1-based): "404", "503"
 * (Retry-After: 0), or "forward".
 */
async function startProxy(tokenize: (n: number) => "404" | "503" | "forward"): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const root = server.url.replace(/\/v1$/, "");
  const seen: string[] = [];
  let n = 0;
  const proxy: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => void res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
    if (req.url === "/v1/models") return send(200, { object: "list", data: [{ id: "bpe", object: "model", owned_by: "vllm" }] });
    const mode = req.url === "/tokenize" ? tokenize(++n) : "forward";
    if (mode === "404") return send(404, { error: { message: "Not Found" } });
    if (mode === "503") return send(503, { error: { message: "injected 503" } }, { "retry-after": "0" });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const r = await fetch(root + req.url, { method: req.method, headers: { "content-type": "application/json" }, body: req.method === "POST" ? Buffer.concat(chunks) : undefined });
      res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text());
    });
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`,
    seen,
    close: () => new Promise<void>((r) => proxy.close(() => r())),
  };
}

describe("servers whose /tokenize is missing or failing", () => {
  it("without /tokenize: the boundary by text offsets (asking /tokenize once), agreeing with the ids rule where that accepts", async () => {
    const p = await startProxy(() => "404");
    const m = await openModel(`openai:${p.url}#bpe`);
    try {
      const got = await m.scoreBatch(CLEAN);
      got.forEach((s, i) => expect(s.tokens.map((t) => t.token).join("")).toBe(i === 1 ? " 12 ab" : CLEAN[i].continuation));
      const ref = await models.openai.scoreBatch(CLEAN);
      got.forEach((s, i) => s.tokens.forEach((t, j) => expect(Math.abs(t.logprob - ref[i].tokens[j].logprob)).toBeLessThan(1e-9)));
      const asked = p.seen.filter((s) => s === "POST /tokenize").length;
      expect(asked).toBeGreaterThan(0);
      await m.score(CLEAN[0]);
      expect(p.seen.filter((s) => s === "POST /tokenize").length).toBe(asked); // remembered: not asked again
      // the straddling token is still refused, in the same words (the prompt's own tokens unknown here)
      const e = await boundaryOf(m, AMBIGUOUS[0].req);
      expect(e.detail).toMatchObject({ promptTokens: null, spanning: " 12" });
      expect(e.message).toContain(`the token " 12" spans the prompt/continuation boundary`);
    } finally {
      await m.close();
      await p.close();
    }
  });

  it("a /tokenize that fails now and then is retried on its own: each score still sends one completion request", async () => {
    const p = await startProxy((n) => (n % 2 === 1 ? "503" : "forward"));
    const m = await openModel(`openai:${p.url}#bpe`);
    try {
      const got = [];
      for (const r of CLEAN) got.push(await m.score(r));
      const ref = await models.openai.scoreBatch(CLEAN);
      got.forEach((s, i) => expect(s.tokens.map((t) => [t.id, t.logprob])).toEqual(ref[i].tokens.map((t) => [t.id, t.logprob])));
      expect(p.seen.filter((s) => s === "POST /v1/completions")).toHaveLength(CLEAN.length);
      // five distinct texts ("ab" and "ab " share their prompt after the whitespace move), every other answer a 503
      expect(p.seen.filter((s) => s === "POST /tokenize").length).toBeGreaterThan(5);
    } finally {
      await m.close();
      await p.close();
    }
  });
});
