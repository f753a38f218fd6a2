/**
 * `ftledger serve`: any LanguageModel as an OpenAI-compatible API (Hono).
 *   GET  /v1/models             the model, and LoRA adapters over it by name (models.ts)
 *   POST /v1/completions        echo, logprobs, vLLM's prompt_logprobs, n, stop, seed, stream
 *   POST /v1/chat/completions   the model's chat template; logprobs with top_logprobs; stream
 *   POST /tokenize, /detokenize vLLM's tokenizer endpoints (tokenize.ts)
 * Streaming is token by token when the backend has `generateStream` (and the request
 * asks for no log-probs); otherwise the finished choices are sent as SSE chunks.
 * Errors use OpenAI's shape: { error: { message, type, param, code } } with 400 / 404 / 500,
 * and the guards' 401 (API key), 403 (Host / Origin), 413 (body size), 415 (not JSON),
 * 429 (queue full, with Retry-After).
 *
 * Bounded under abuse: the body and each prompt are measured in bytes before anything is
 * tokenized (limits.ts), at most --max-concurrent requests compute while --max-queue wait
 * (queue.ts), and a client that goes away stops its request: the HTTP request's signal
 * reaches the backend, which the builtin one checks between decoding steps.
 */
import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { ZodType } from "zod";
import type { LanguageModel, StreamEvent } from "../backends/index.js";
import { bearerAuth } from "./auth.js";
import { jsonBody } from "./body.js";
import { completionChoice, type CompletionChoice } from "./completions.js";
import { apiError, clientGone } from "./errors.js";
import { hostGuard } from "./guard.js";
import { DEFAULT_LIMITS, bytesOf, isBig, requestWork, type PromptLimit, type ServeLimits } from "./limits.js";
import { ServedModels, type ServedModel } from "./models.js";
import { WorkQueue } from "./queue.js";
import { chatRequest, completionRequest } from "./schema.js";
import { chatLogprobs, chatTopLogprobsProblem } from "./chat-logprobs.js";
import { detokenizeRequest, tokenizeRequest } from "./tokenize.js";

export interface ServeOptions {
  /** The name clients put in `model` (default: the model's id). */
  modelName?: string;
  /** Further models served by name, a request's `model` picking one: LoRA adapters over the model (`serve --lora-modules`). */
  adapters?: { name: string; model: LanguageModel }[];
  /** Request limits; each one not given takes its default (DEFAULT_LIMITS). */
  limits?: Partial<ServeLimits>;
  /** The address the server listens on (its Host is answered; startServer sets it). */
  boundHost?: string;
  /** Host names answered besides loopback and the bound address, each with any port; "*" = any. */
  allowHosts?: string[];
  /** When set, every request needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

async function parseBody<T>(c: Context, schema: ZodType<T>): Promise<{ ok: true; value: T } | { ok: false; res: Response }> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    return { ok: false, res: apiError(c, 400, "the request body is not valid JSON") };
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, res: apiError(c, 400, `${issue.path.join(".") || "body"}: ${issue.message}`, issue.path.join(".") || null) };
  }
  return { ok: true, value: r.data };
}

const finishOf = (e: StreamEvent): string | null =>
  e.finishReason === undefined ? null : e.finishReason === "context" ? "length" : e.finishReason;

/**
 * Server-sent events from a backend's stream. The first event is awaited before the
 * response starts, so a request the backend rejects (prompt too long …) still gets a
 * 400 with a message rather than a broken stream.
 */
async function streamEvents(c: Context, open: () => AsyncIterable<StreamEvent>, chunk: (e: StreamEvent) => unknown, release: () => void): Promise<Response> {
  const signal = c.req.raw.signal;
  let it: AsyncIterator<StreamEvent>;
  let first: IteratorResult<StreamEvent>;
  try {
    it = open()[Symbol.asyncIterator]();
    first = await it.next();
  } catch (e) {
    release();
    return signal.aborted ? clientGone() : apiError(c, 400, (e as Error).message);
  }
  return streamSSE(c, async (s) => {
    try {
      for (let r = first; !r.done; r = await it.next()) {
        if (s.aborted || signal.aborted) {
          await it.return?.(); // the client left: stop generating
          return;
        }
        await s.writeSSE({ data: JSON.stringify(chunk(r.value)) });
      }
      await s.writeSSE({ data: "[DONE]" });
    } catch (e) {
      // the response has started, so the error travels as an event in OpenAI's error shape
      if (!signal.aborted) await s.writeSSE({ data: JSON.stringify({ error: { message: (e as Error).message, type: "server_error", param: null, code: null } }) });
    } finally {
      release();
    }
  });
}

export function createOpenAIApp(model: LanguageModel, opts: ServeOptions = {}): Hono {
  const created = Math.floor(Date.now() / 1000);
  const app = new Hono();
  let counter = 0;
  const newId = (prefix: string) => `${prefix}-${created}-${++counter}`;
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const served = new ServedModels({ name: opts.modelName ?? model.id, model }, opts.adapters ?? [], limits.maxPromptBytes);
  /** The model a request names, or its 404 (OpenAI's shape, naming the models served). */
  const pick = (c: Context, m: string | undefined): ServedModel | Response => {
    const p = served.pick(m);
    return "error" in p ? apiError(c, 404, p.error, "model") : p;
  };
  // every model shares one queue: they compute on the same machine (and, as adapters, over one base)
  const queue = new WorkQueue(limits.maxConcurrent, limits.maxQueue);

  app.use("*", hostGuard({ boundHost: opts.boundHost, allowHosts: opts.allowHosts, refuse: (c, m) => apiError(c, 403, m) }));
  if (opts.apiKey !== undefined) app.use("*", bearerAuth(opts.apiKey, (c, m) => apiError(c, 401, m)));
  const json = jsonBody(limits.maxBodyBytes, (c, status, m) => apiError(c, status, m));

  /** 400 for a prompt (or chat's messages together) longer than the server takes, before any tokenizing. */
  const tooLong = (c: Context, promptCap: PromptLimit, texts: string[], param: "prompt" | "messages"): Response | null => {
    for (const [i, t] of texts.entries()) {
      const b = bytesOf(t);
      if (b > promptCap.bytes) {
        const what = param === "messages" ? "the messages are" : texts.length > 1 ? `prompt ${i} is` : "the prompt is";
        return apiError(c, 400, `${what} ${b} bytes, more than ${promptCap.bytes}: ${promptCap.why}.`, param);
      }
    }
    return null;
  };

  /** A slot in the work queue, or the answer when there is none (429 with Retry-After, or the client left). */
  const admit = async (c: Context, work: number, contextLength: number | undefined): Promise<{ release: () => void } | Response> => {
    const a = await queue.enter(isBig(work, contextLength), c.req.raw.signal);
    if (a.ok) return a;
    if (a.reason === "gone") return clientGone();
    const { running, waiting } = queue.state;
    c.header("Retry-After", "1");
    return apiError(c, 429, `the server is busy: ${running} requests are computing and ${waiting} waiting, as many as it takes (--max-concurrent ${limits.maxConcurrent}, --max-queue ${limits.maxQueue}); retry after a second, or restart the server with a larger --max-queue`);
  };

  app.get("/v1/models", (c) => c.json({ object: "list", data: served.list(created) }));

  app.post("/v1/completions", json, async (c) => {
    const body = await parseBody(c, completionRequest);
    if (!body.ok) return body.res;
    const req = body.value;
    const arm = pick(c, req.model);
    if (arm instanceof Response) return arm;
    const { model, name, promptCap } = arm;
    if ((req.logprobs != null || req.prompt_logprobs !== undefined) && !model.scoreTokens) {
      return apiError(c, 400, "this backend cannot return log-probabilities (no token access)", req.logprobs != null ? "logprobs" : "prompt_logprobs");
    }
    const prompts = typeof req.prompt === "string" ? [req.prompt] : req.prompt;
    if (prompts.length > limits.maxPrompts) {
      return apiError(c, 400, `the prompt list has ${prompts.length} prompts; this server takes at most ${limits.maxPrompts} per request (--max-prompts). Send the rest in further requests, or restart the server with a larger --max-prompts.`, "prompt");
    }
    const long = tooLong(c, promptCap, prompts, "prompt");
    if (long) return long;
    const slot = await admit(c, requestWork(prompts.map(bytesOf), req.n, req.max_tokens, model.contextLength), model.contextLength);
    if (slot instanceof Response) return slot;
    const signal = c.req.raw.signal;
    const plain = !req.echo && req.logprobs == null && req.prompt_logprobs === undefined && prompts.length === 1;
    if (req.stream && plain && model.generateStream && req.max_tokens > 0) {
      // token-by-token: each event is sent as soon as the backend produces it
      const generateStream = model.generateStream.bind(model);
      const events = () => generateStream({
        prompt: prompts[0], maxTokens: req.max_tokens, temperature: req.temperature, topP: req.top_p,
        topK: req.top_k !== undefined && req.top_k > 0 ? req.top_k : 0, seed: req.seed, stop: typeof req.stop === "string" ? [req.stop] : req.stop, n: req.n, signal,
      });
      const head = { id: newId("cmpl"), object: "text_completion", created: Math.floor(Date.now() / 1000), model: name };
      return streamEvents(c, events, (e) => ({ ...head, choices: [{ index: e.index, text: e.delta, logprobs: null, finish_reason: finishOf(e) }] }), slot.release);
    }
    const choices: CompletionChoice[] = [];
    try {
      for (const prompt of prompts) {
        signal.throwIfAborted(); // a backend that ignores the signal still stops at the next prompt
        const gen = req.max_tokens > 0
          ? (await model.generate({
              prompt, maxTokens: req.max_tokens, temperature: req.temperature, topP: req.top_p, topK: req.top_k !== undefined && req.top_k > 0 ? req.top_k : 0,
              seed: req.seed, stop: typeof req.stop === "string" ? [req.stop] : req.stop, n: req.n,
              logprobs: req.logprobs != null || req.prompt_logprobs !== undefined, // generated ids are needed to score them
              signal,
            })).samples
          : Array.from({ length: req.n }, () => null);
        let unsampled: CompletionChoice | undefined; // max_tokens 0: the n choices are one and the same
        const scores = req.logprobs != null || req.prompt_logprobs !== undefined;
        for (const sample of gen) {
          // scoring is one synchronous pass: go through the event loop between scored choices,
          // so other requests take their turns and a client that left is noticed (a plain
          // choice costs nothing, and an extra pass would only hold its queue slot longer)
          if (scores) await new Promise((resolve) => setImmediate(resolve));
          signal.throwIfAborted();
          const choice = sample === null && unsampled ? { ...unsampled, index: choices.length } : await completionChoice(model, req, prompt, sample, choices.length);
          if (sample === null) unsampled = choice;
          choices.push(choice);
        }
      }
    } catch (e) {
      return signal.aborted ? clientGone() : apiError(c, 400, (e as Error).message);
    } finally {
      slot.release();
    }
    const response = { id: newId("cmpl"), object: "text_completion", created: Math.floor(Date.now() / 1000), model: name, choices };
    if (!req.stream) return c.json(response);
    return streamSSE(c, async (s) => {
      for (const ch of choices) await s.writeSSE({ data: JSON.stringify({ ...response, choices: [ch] }) });
      await s.writeSSE({ data: "[DONE]" });
    });
  });

  app.post("/v1/chat/completions", json, async (c) => {
    const body = await parseBody(c, chatRequest);
    if (!body.ok) return body.res;
    const req = body.value;
    const arm = pick(c, req.model);
    if (arm instanceof Response) return arm;
    const { model, name, promptCap } = arm;
    const top = req.top_logprobs ?? 0;
    if (top > 0 && !req.logprobs) return apiError(c, 400, "top_logprobs needs logprobs: true (as OpenAI's API requires)", "top_logprobs");
    const noTop = top > 0 ? chatTopLogprobsProblem(model) : null;
    if (noTop) return apiError(c, 400, noTop, "top_logprobs");
    const maxTokens = req.max_completion_tokens ?? req.max_tokens ?? 256;
    const long = tooLong(c, promptCap, [req.messages.map((m) => m.content).join("")], "messages");
    if (long) return long;
    const slot = await admit(c, requestWork([bytesOf(req.messages.map((m) => m.content).join(""))], req.n, maxTokens, model.contextLength), model.contextLength);
    if (slot instanceof Response) return slot;
    const signal = c.req.raw.signal;
    if (req.stream && !req.logprobs && model.generateStream) {
      const generateStream = model.generateStream.bind(model);
      const events = () => generateStream({
        messages: req.messages, maxTokens, temperature: req.temperature, topP: req.top_p, seed: req.seed,
        stop: typeof req.stop === "string" ? [req.stop] : req.stop, n: req.n, signal,
      });
      const head = { id: newId("chatcmpl"), object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: name };
      const started = new Set<number>();
      return streamEvents(c, events, (e) => {
        const delta = started.has(e.index) ? { content: e.delta } : { role: "assistant", content: e.delta };
        started.add(e.index);
        return { ...head, choices: [{ index: e.index, delta, finish_reason: finishOf(e) }] };
      }, slot.release);
    }
    let samples;
    let logprobs;
    try {
      samples = (await model.generate({
        messages: req.messages, maxTokens, temperature: req.temperature, topP: req.top_p,
        seed: req.seed, stop: typeof req.stop === "string" ? [req.stop] : req.stop, n: req.n, logprobs: req.logprobs, signal,
      })).samples;
      logprobs = req.logprobs ? await Promise.all(samples.map((s) => chatLogprobs(model, req.messages, s, top))) : null;
    } catch (e) {
      return signal.aborted ? clientGone() : apiError(c, 400, (e as Error).message);
    } finally {
      slot.release();
    }
    const id = newId("chatcmpl");
    const choices = samples.map((s, index) => ({
      index,
      message: { role: "assistant" as const, content: s.text },
      finish_reason: s.finishReason === "context" ? "length" : s.finishReason,
      logprobs: logprobs ? logprobs[index] : null,
    }));
    const response = { id, object: "chat.completion", created: Math.floor(Date.now() / 1000), model: name, choices };
    if (!req.stream) return c.json(response);
    return streamSSE(c, async (s) => {
      for (const ch of choices) {
        const delta = { id, object: "chat.completion.chunk", created: response.created, model: name };
        await s.writeSSE({ data: JSON.stringify({ ...delta, choices: [{ index: ch.index, delta: { role: "assistant", content: ch.message.content }, logprobs: ch.logprobs, finish_reason: null }] }) });
        await s.writeSSE({ data: JSON.stringify({ ...delta, choices: [{ index: ch.index, delta: {}, finish_reason: ch.finish_reason }] }) });
      }
      await s.writeSSE({ data: "[DONE]" });
    });
  });

  // vLLM's tokenizer endpoints (at the root, as vLLM serves them)
  app.post("/tokenize", json, async (c) => {
    const body = await parseBody(c, tokenizeRequest);
    if (!body.ok) return body.res;
    const req = body.value;
    const arm = pick(c, req.model);
    if (arm instanceof Response) return arm;
    const { model, promptCap } = arm;
    const vocab = model.vocab;
    if (!vocab) return apiError(c, 400, "this backend has no tokenizer to expose (a model behind another server); ask that server's /tokenize");
    let tokens: number[];
    if ("messages" in req) {
      const long = tooLong(c, promptCap, [req.messages.map((m) => m.content).join("")], "messages");
      if (long) return long;
      if (!model.chatPrompt) return apiError(c, 400, "this backend renders no chat template here; send a prompt", "messages");
      tokens = vocab.encode(model.chatPrompt(req.messages));
    } else {
      const long = tooLong(c, promptCap, [req.prompt], "prompt");
      if (long) return long;
      tokens = req.add_special_tokens ? vocab.encodePrompt(req.prompt) : vocab.encode(req.prompt);
    }
    return c.json({ count: tokens.length, max_model_len: model.contextLength ?? null, tokens });
  });
  app.post("/detokenize", json, async (c) => {
    const body = await parseBody(c, detokenizeRequest);
    if (!body.ok) return body.res;
    const req = body.value;
    const arm = pick(c, req.model);
    if (arm instanceof Response) return arm;
    const { model } = arm;
    const vocab = model.vocab;
    if (!vocab) return apiError(c, 400, "this backend has no tokenizer to expose (a model behind another server); ask that server's /detokenize");
    const bad = req.tokens.findIndex((t) => t >= vocab.size);
    if (bad >= 0) return apiError(c, 400, `tokens[${bad}] = ${req.tokens[bad]} is outside the vocabulary of ${vocab.size} tokens`, "tokens");
    return c.json({ prompt: vocab.decode(req.tokens) });
  });

  app.notFound((c) => apiError(c, 404, `no route ${c.req.method} ${c.req.path}; the API serves GET /v1/models, POST /v1/completions, POST /v1/chat/completions, POST /tokenize, POST /detokenize`));
  app.onError((e, c) => apiError(c, 500, e.message));
  return app;
}
