/**
 * HTTP to OpenAI-compatible servers: one JSON request with bounded concurrency, a
 * per-attempt timeout, and retries where a retry can help.
 *
 *   retried   429 and 408 (honouring Retry-After), 5xx, connection refused / reset /
 *             hang up, timeouts, a body that is not JSON
 *   not       401 / 403 (credentials) and every other 4xx (the request is wrong)
 *
 * Returns data (`Reply`); the model turns a failure into a BackendError. A failed
 * request never yields a value.
 *
 * NOTE: the API key is read from the environment at each attempt and goes only into
 * the Authorization header; every server message is redacted before it is kept.
 */
import { type BackoffOptions, backoffDelay, parseRetryAfter, sleep } from "./backoff.js";
import { type OpenAIError, redact } from "./errors.js";
import { EndpointPool, Semaphore } from "./pool.js";

export type Reply = { ok: true; json: unknown } | { ok: false; error: OpenAIError };

export interface TransportConfig {
  endpoints: readonly string[];
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  apiKeyEnv?: string;
  backoff: BackoffOptions;
}

/** What one attempt came to. */
type Attempt =
  | { kind: "ok"; json: unknown }
  | { kind: "fail"; error: OpenAIError }
  | { kind: "retry"; error: (attempts: number) => OpenAIError; retryAfterMs?: number };

export class Transport {
  private readonly closing = new AbortController();
  private readonly semaphore: Semaphore;
  readonly pool: EndpointPool;

  constructor(private readonly config: TransportConfig) {
    this.semaphore = new Semaphore(config.concurrency);
    this.pool = new EndpointPool(config.endpoints);
  }

  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  /** Abort everything in flight; later requests fail with "closed". */
  close(): void {
    this.closing.abort(new Error("closed"));
  }

  /** POST `body` as JSON to `endpoint + path`, retrying as described above. */
  async post(endpoint: string, path: string, body: unknown): Promise<Reply> {
    const { maxRetries, backoff } = this.config;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) return { ok: false, error: { code: "closed", endpoint } };
      const release = await this.semaphore.acquire();
      let result: Attempt;
      try {
        result = await this.attempt(endpoint, path, "POST", body, this.config.timeoutMs);
      } finally {
        release();
      }
      if (result.kind === "ok") return { ok: true, json: result.json };
      if (result.kind === "fail") return { ok: false, error: result.error };
      if (attempt >= maxRetries) return { ok: false, error: result.error(attempt + 1) };
      try {
        await sleep(result.retryAfterMs ?? backoffDelay(attempt, backoff), this.closing.signal);
      } catch {
        return { ok: false, error: { code: "closed", endpoint } };
      }
    }
  }

  /** One GET with no retries (used for best-effort metadata: /v1/models, /version). */
  async get(endpoint: string, path: string, timeoutMs: number): Promise<Reply> {
    const r = await this.attempt(endpoint, path, "GET", undefined, timeoutMs);
    if (r.kind === "ok") return { ok: true, json: r.json };
    return { ok: false, error: r.kind === "fail" ? r.error : r.error(1) };
  }

  private async attempt(endpoint: string, path: string, method: "GET" | "POST", body: unknown, timeoutMs: number): Promise<Attempt> {
    const env = this.config.apiKeyEnv;
    const key = env ? process.env[env] : undefined;
    if (env && !key) return { kind: "fail", error: { code: "missing_api_key", endpoint, env } };
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (key) headers.authorization = `Bearer ${key}`;

    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([this.closing.signal, timeout]);
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await fetch(endpoint + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
      status = res.status;
      retryAfter = res.headers.get("retry-after");
      text = await res.text(); // the timeout covers the body too
    } catch (err) {
      if (this.closed) return { kind: "fail", error: { code: "closed", endpoint } };
      if (timeout.aborted) return { kind: "retry", error: (attempts) => ({ code: "timeout", endpoint, timeoutMs, attempts }) };
      const cause = redact(networkCause(err), key);
      return { kind: "retry", error: (attempts) => ({ code: "connection", endpoint, cause, attempts }) };
    }

    if (status >= 200 && status < 300) {
      try {
        return { kind: "ok", json: JSON.parse(text) as unknown };
      } catch {
        const snippet = redact(text.slice(0, 200), key);
        return { kind: "retry", error: (attempts) => ({ code: "bad_json", endpoint, attempts, snippet }) };
      }
    }
    const serverMessage = redact(messageOf(text), key);
    if (status === 401 || status === 403) return { kind: "fail", error: { code: "auth", endpoint, status, env, serverMessage } };
    if (status === 429 || status === 408 || status >= 500) {
      const retryAfterMs = parseRetryAfter(retryAfter, this.config.backoff.retryAfterMaxMs);
      return { kind: "retry", retryAfterMs, error: (attempts) => ({ code: "server_error", endpoint, status, serverMessage, attempts }) };
    }
    return { kind: "fail", error: { code: "http_error", endpoint, status, serverMessage } };
  }
}

/** The error message an OpenAI-style body carries ({error: {message}}, {error: "…"}, {message}, {detail}), else the text. */
export function messageOf(text: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const e = j.error;
    if (typeof e === "string") return e;
    if (e && typeof e === "object" && typeof (e as { message?: unknown }).message === "string") return (e as { message: string }).message;
    if (typeof j.message === "string") return j.message;
    if (typeof j.detail === "string") return j.detail;
  } catch {
    // not JSON: fall through to the raw text
  }
  const t = text.trim();
  return t === "" ? "(empty body)" : t.slice(0, 300);
}

/** undici's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, …). */
function networkCause(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const c = e.cause;
  if (c?.code && c.message) return `${c.code}: ${c.message}`;
  return c?.code ?? c?.message ?? e.message ?? String(err);
}
