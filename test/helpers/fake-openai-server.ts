/**
 * A real local OpenAI-compatible HTTP server (node:http on 127.0.0.1, port 0) over a
 * deterministic toy model, with misbehaviour programmed per request. It serves only
 * the test that starts it; `close()` in afterAll.
 *
 * The toy model: characters are tokens (plus optional multi-character `merges`). After
 * a character of ALPHA the next one of ALPHA (cyclic) has probability 1/2, every other
 * printable ASCII character (0x20–0x7e, V = 95) shares the other half; after any other
 * character, "a" is the favoured one. So log p is known in closed form (`toyLogprob`).
 *
 * Prompt-logprob behaviours (`logprobs`):
 *   full           echo + logprobs and vLLM prompt_logprobs both work (vLLM-like)
 *   vllm           echo is ignored; prompt_logprobs works (a server with only the extension)
 *   llamacpp       echo is ignored; logprobs only for generated tokens; no prompt_logprobs
 *   wrong-tokens   echo text is right but the logprobs are one token off; prompt_logprobs
 *                  describe other text
 * Faults (`faults` queue, one per POST, then `always`): delay, an HTTP status (with
 * Retry-After), a dropped connection mid-body, malformed JSON.
 */
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export const ALPHA = "abcdefghijklmnopqrstuvwxyz ";
const V = 95;
const LP_FAV = Math.log(0.5);
const LP_OTHER = Math.log(0.5 / (V - 1));

export function favoured(prev: string): string {
  const i = ALPHA.indexOf(prev);
  return i < 0 ? "a" : ALPHA[(i + 1) % ALPHA.length];
}

/** log p(c | previous character). */
export function toyLogprob(prev: string, c: string): number {
  return c === favoured(prev) ? LP_FAV : LP_OTHER;
}

export type Fault =
  | { kind: "delay"; ms: number }
  | { kind: "status"; status: number; message?: string; retryAfter?: string }
  | { kind: "drop" }
  | { kind: "malformed" };

export interface FakeServerOptions {
  model?: string;
  logprobs?: "full" | "vllm" | "llamacpp" | "wrong-tokens";
  apiKey?: string;
  rejectMaxTokensZero?: boolean;
  merges?: string[];
  version?: string;
}

export interface RecordedRequest {
  path: string;
  body: Record<string, unknown>;
  authorization: string | undefined;
  at: number;
}

export interface FakeServer {
  /** Base URL ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Programmed faults, consumed one per POST in order. */
  faults: Fault[];
  /** A fault for every POST once the queue is empty. */
  always: Fault | undefined;
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

type Tok = { text: string; id: number };

export function tokenize(text: string, merges: readonly string[] = []): Tok[] {
  const out: Tok[] = [];
  for (let i = 0; i < text.length; ) {
    const m = merges.findIndex((x) => text.startsWith(x, i));
    const t = m >= 0 ? { text: merges[m], id: 1000 + m } : { text: text[i], id: text.charCodeAt(i) };
    out.push(t);
    i += t.text.length;
  }
  return out;
}

/** log p of a token given the text before it (null for the first token). */
function tokenLp(before: string, tok: string): number | null {
  if (before === "") return null;
  let lp = 0;
  let prev = before[before.length - 1];
  for (const c of tok) {
    lp += toyLogprob(prev, c);
    prev = c;
  }
  return lp;
}

/** Greedy continuation of `text` by `n` characters. */
function greedy(text: string, n: number): string {
  let out = "";
  let prev = text[text.length - 1] ?? " ";
  for (let i = 0; i < n; i++) out += prev = favoured(prev);
  return out;
}

/** Legacy completions logprobs for `text`, tokens starting at `from`. */
function legacyLogprobs(text: string, toks: Tok[]) {
  const tokens: string[] = [];
  const token_logprobs: (number | null)[] = [];
  const top_logprobs: (Record<string, number> | null)[] = [];
  const text_offset: number[] = [];
  let at = 0;
  for (const t of toks) {
    const before = text.slice(0, at);
    const lp = tokenLp(before, t.text);
    tokens.push(t.text);
    token_logprobs.push(lp);
    top_logprobs.push(lp === null ? null : { [favoured(before[before.length - 1])]: LP_FAV, [t.text]: lp });
    text_offset.push(at);
    at += t.text.length;
  }
  return { tokens, token_logprobs, top_logprobs, text_offset };
}

function promptLogprobs(text: string, toks: Tok[]) {
  let at = 0;
  return toks.map((t) => {
    const before = text.slice(0, at);
    at += t.text.length;
    const lp = tokenLp(before, t.text);
    if (lp === null) return null;
    const fav = favoured(before[before.length - 1]);
    const entry: Record<string, { logprob: number; rank: number; decoded_token: string }> = {
      [fav.charCodeAt(0)]: { logprob: LP_FAV, rank: 1, decoded_token: fav },
    };
    entry[t.id] = { logprob: lp, rank: lp >= LP_FAV ? 1 : 2, decoded_token: t.text };
    return entry;
  });
}

export async function startFakeOpenAIServer(opts: FakeServerOptions = {}): Promise<FakeServer> {
  const model = opts.model ?? "toy";
  const mode = opts.logprobs ?? "full";
  const merges = opts.merges ?? [];
  const timers = new Set<NodeJS.Timeout>();
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  function completions(body: Record<string, unknown>, res: ServerResponse): void {
    const prompt = String(body.prompt ?? "");
    const maxTokens = Number(body.max_tokens ?? 16);
    if (maxTokens === 0 && opts.rejectMaxTokensZero) return json(res, 400, { error: { message: "max_tokens must be at least 1" } });
    const echo = body.echo === true && (mode === "full" || mode === "wrong-tokens");
    const n = Number(body.n ?? 1);
    const choices = [];
    for (let i = 0; i < n; i++) {
      let gen = greedy(prompt, maxTokens);
      let finish = "length";
      for (const s of (body.stop as string[] | undefined) ?? []) {
        const k = gen.indexOf(s);
        if (k >= 0) {
          gen = gen.slice(0, k);
          finish = "stop";
        }
      }
      const text = echo ? prompt + gen : gen;
      let logprobs = null;
      if (body.logprobs !== undefined && body.logprobs !== null) {
        const full = legacyLogprobs(prompt + gen, tokenize(prompt + gen, merges));
        const skip = echo ? 0 : tokenize(prompt, merges).length;
        logprobs = {
          tokens: full.tokens.slice(skip),
          token_logprobs: full.token_logprobs.slice(skip),
          top_logprobs: full.top_logprobs.slice(skip),
          text_offset: full.text_offset.slice(skip),
        };
        if (mode === "wrong-tokens" && echo) {
          logprobs = { ...logprobs, tokens: logprobs.tokens.slice(1), token_logprobs: logprobs.token_logprobs.slice(1), top_logprobs: logprobs.top_logprobs.slice(1) };
        }
      }
      const choice: Record<string, unknown> = { index: i, text, finish_reason: finish, logprobs };
      if (body.prompt_logprobs !== undefined && (mode === "full" || mode === "vllm")) choice.prompt_logprobs = promptLogprobs(prompt, tokenize(prompt, merges));
      if (body.prompt_logprobs !== undefined && mode === "wrong-tokens") choice.prompt_logprobs = promptLogprobs(prompt.replace(/./g, "x"), tokenize(prompt.replace(/./g, "x")));
      choices.push(choice);
    }
    json(res, 200, { id: "cmpl-fake", object: "text_completion", created: Date.now(), model, choices });
  }

  function chat(body: Record<string, unknown>, res: ServerResponse): void {
    const messages = (body.messages as { content: string }[] | undefined) ?? [];
    const prompt = messages.map((m) => m.content).join("\n");
    const gen = greedy(prompt, Number(body.max_tokens ?? 16));
    const logprobs = body.logprobs ? { content: [...gen].map((c) => ({ token: c, logprob: LP_FAV, top_logprobs: [] })) } : null;
    const choices = [{ index: 0, message: { role: "assistant", content: gen }, finish_reason: "length", logprobs }];
    json(res, 200, { id: "chat-fake", object: "chat.completion", created: Date.now(), model, choices });
  }

  function respond(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>, fault: Fault | undefined): void {
    if (fault?.kind === "status") {
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { "retry-after": fault.retryAfter } : {};
      return json(res, fault.status, { error: { message: fault.message ?? `fake failure ${fault.status}` } }, headers);
    }
    if (fault?.kind === "drop") {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"choices": [');
      res.flushHeaders();
      const t = setTimeout(() => req.socket.destroy(), 5);
      timers.add(t);
      return;
    }
    if (fault?.kind === "malformed") {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end('{"choices": [ {"text": oops');
    }
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      const provided = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      return json(res, 401, { error: { message: `Incorrect API key provided: ${provided}.` } });
    }
    if (body.model !== model) return json(res, 404, { error: { message: `The model \`${String(body.model)}\` does not exist.` } });
    if (path === "/v1/completions") return completions(body, res);
    if (path === "/v1/chat/completions") return chat(body, res);
    json(res, 404, { error: { message: `no route ${path}` } });
  }

  const state: FakeServer = {
    url: "",
    requests: [],
    faults: [],
    always: undefined,
    inFlight: 0,
    maxInFlight: 0,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "GET") {
      if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        const provided = (req.headers.authorization ?? "").replace(/^Bearer /, "");
        return json(res, 401, { error: { message: `Incorrect API key provided: ${provided}.` } });
      }
      if (path === "/v1/models") return json(res, 200, { object: "list", data: [{ id: model, object: "model", created: Date.now(), owned_by: "fake", root: `fake-root-${opts.version ?? "1"}` }] });
      if (path === "/version") return json(res, 200, { version: opts.version ?? "1" });
      return json(res, 404, { error: { message: "not found" } });
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      } catch {
        return json(res, 400, { error: { message: "request body is not JSON" } });
      }
      state.requests.push({ path, body, authorization: req.headers.authorization, at: Date.now() });
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      res.on("close", () => state.inFlight--);
      const fault = state.faults.shift() ?? state.always;
      if (fault?.kind === "delay") {
        const t = setTimeout(() => {
          timers.delete(t);
          respond(req, res, path, body, undefined);
        }, fault.ms);
        timers.add(t);
      } else respond(req, res, path, body, fault);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return state;
}
