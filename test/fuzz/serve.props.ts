/**
 * `ftledger serve` (src/serve): OpenAI request bodies through `createOpenAIApp(model).fetch`
 * over a tiny builtin model. Arbitrary JSON, mutations of valid completion and chat bodies
 * (with max_tokens and n kept small so cases stay fast), broken JSON text, other methods,
 * paths and content types. The answer must never be a 500: a 200 with JSON or server-sent
 * events (none of them an error event), or a client error in OpenAI's error shape.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
import { saveCheckpoint } from "../../src/formats/index.js";
import { openBuiltinModel } from "../../src/backends/index.js";
import { createOpenAIApp } from "../../src/serve/index.js";
import { fuzzCase, mutatedJson, mutatedText, safeJson, type FuzzFamily } from "./helpers.js";

/** Client errors the API may answer with; never 500. */
const ALLOWED = new Set([200, 400, 404, 405, 413, 415, 422, 429]);

const COMPLETION = { model: "tiny", prompt: "the cat", max_tokens: 2, temperature: 0, top_p: 1, logprobs: 1, echo: true, n: 1, stop: ["."], seed: 1, stream: false };
const CHAT = { model: "tiny", messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "yo" }], max_tokens: 2, temperature: 0.5, logprobs: true, stream: false };
const VALUES: unknown[] = ["tiny", "other", 0, 2, 20, 21, 64, 65, -1, true, false, ["a", "b"], [""], "", "\u0000", "\uD800", { role: "system", content: "s" }, { role: "tool", content: "t" }, null];

/** Keep generated work small: a mutation may raise max_tokens, n or the prompt count. */
function small(body: unknown): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  const cap = (k: string, max: number) => {
    if (typeof b[k] === "number" && (b[k] as number) > max) b[k] = max;
  };
  cap("max_tokens", 8);
  cap("max_completion_tokens", 8);
  cap("n", 3);
  if (Array.isArray(b.prompt) && b.prompt.length > 4) b.prompt = b.prompt.slice(0, 4);
  return b;
}

/** A body for one endpoint: mostly mutations of its own valid body, some of anything. */
const bodyFor = (valid: object) => fc.oneof(
  { weight: 6, arbitrary: mutatedJson(valid, VALUES).map((v) => JSON.stringify(small(v)) ?? "") },
  { weight: 2, arbitrary: fc.constant(JSON.stringify(valid)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(small(v))) },
  { weight: 1, arbitrary: mutatedText(JSON.stringify(valid)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: "binary" }) },
  // deep nesting in a field the schema does not know, and in one it does
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1000, max: 100_000 }), fc.constantFrom("x", "prompt", "messages", "stop")).map(([d, k]) => `{"prompt":"a","messages":[{"role":"user","content":"a"}],"max_tokens":1,"${k}":${"[".repeat(d)}${"]".repeat(d)}}`) },
);
const endpoint: fc.Arbitrary<[string, string]> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom("/v1/completions"), bodyFor(COMPLETION)) },
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom("/v1/chat/completions", "/v1/chat/completions?stream=1"), bodyFor(CHAT)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("/v1/models", "/v1/", "/v1/completions/x", "/%ff", "/v1/completions"), bodyFor(CHAT)) },
);
const request = fc.record({
  method: fc.oneof({ weight: 12, arbitrary: fc.constant("POST") }, { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE") }),
  endpoint,
  type: fc.oneof({ weight: 8, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom("text/plain", "", "application/json; charset=utf-8", "application/x-www-form-urlencoded") }),
  stream: fc.boolean(),
}).map(({ endpoint: [path, body], ...rest }) => ({ ...rest, path, body }));

interface Req {
  method: string;
  path: string;
  type: string;
  body: string;
  stream: boolean;
}

async function check(app: ReturnType<typeof createOpenAIApp>, r: Req): Promise<void> {
  let body = r.body;
  // half the cases ask for a stream when the body is an object without a stream field
  if (r.stream && body.startsWith("{") && !body.includes('"stream"')) body = body.replace(/^\{/, body === "{}" ? '{"stream":true' : '{"stream":true,');
  const headers: Record<string, string> = r.type ? { "content-type": r.type } : {};
  const res = await app.fetch(new Request(`http://localhost${r.path}`, { method: r.method, headers, body: r.method === "GET" ? undefined : body }));
  const text = await res.text();
  const where = `${r.method} ${r.path} ${safeJson(body)} → ${res.status} ${text.slice(0, 300)}`;
  if (!ALLOWED.has(res.status)) throw new Error(`status ${res.status}: ${where}`);
  const type = res.headers.get("content-type") ?? "";
  if (res.status !== 200) {
    const e = (JSON.parse(text) as { error?: Record<string, unknown> }).error;
    if (!e || typeof e.message !== "string" || typeof e.type !== "string" || !("param" in e) || !("code" in e)) throw new Error(`not OpenAI's error shape: ${where}`);
    return;
  }
  if (type.startsWith("text/event-stream")) {
    for (const line of text.split("\n")) {
      if (!line.startsWith("data: ")) continue;
      const data = line.slice(6);
      if (data === "[DONE]") continue;
      if ("error" in (JSON.parse(data) as object)) throw new Error(`an error event in a 200 stream: ${where}`);
    }
    return;
  }
  JSON.parse(text);
}

interface Ctx {
  dir: string;
  app: ReturnType<typeof createOpenAIApp>;
  close(): Promise<void>;
}

export const serveFamily: FuzzFamily<Ctx> = {
  parser: "serve",
  async setup() {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-fuzz-serve-"));
    const tok = new CharTokenizer();
    const config: ModelConfig = { vocabSize: tok.size, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 48, contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true };
    const m = Llama.f32(config, createTsKernels());
    m.initialize(createRng(21), 0.3);
    const saved = await saveCheckpoint(join(dir, "m"), { config, params: m.params.flat, tokenizer: tok });
    if (!saved.ok) throw new Error("could not save the tiny model");
    const model = await openBuiltinModel(join(dir, "m"), { kernels: createTsKernels() });
    return { dir, app: createOpenAIApp(model, { modelName: "tiny" }), close: () => model.close() };
  },
  async teardown(ctx) {
    await ctx.close();
    await rm(ctx.dir, { recursive: true, force: true });
  },
  properties: [{ name: "OpenAI requests never get a 500", runs: 300, make: (ctx) => fuzzCase(request, (r) => check(ctx.app, r)) }],
};
