/**
 * HTTP to OpenAI-compatible servers: one JSON request to one endpoint, under the shared
 * concurrency bound and a per-attempt timeout. Retrying, and moving to another replica, is
 * failover.ts's job; this file only says what one attempt came to.
 *
 *   retryable   429 and 408 (with the server's Retry-After), 5xx, connection refused / reset /
 *               hang up, timeouts, a body that is not JSON (`isRetryable`)
 *   final       401 / 403 (credentials) and every other 4xx (the request is wrong)
 *
 * Returns data (`Reply`); the model turns a failure into a BackendError. A failed
 * request never yields a value.
 *
 * NOTE: the API key is read from the environment at each attempt and goes only into
 * the Authorization header; every server message is redacted before it is kept.
 */
import { parseRetryAfter } from "./backoff.js";
import { type OpenAIError, redact } from "./errors.js";
import { Semaphore } from "./pool.js";
import { throwIfAborted } from "../abort.js";

export type Reply = { ok: true; json: unknown } | { ok: false; error: OpenAIError };

export interface TransportConfig {
  concurrency: number;
  timeoutMs: number;
  apiKeyEnv?: string;
  /** Largest Retry-After honoured. */
  retryAfterMaxMs: number;
}

/** Failures another attempt (on this endpoint later, or on another replica) can cure. */
export function isRetryable(e: OpenAIError): e is OpenAIError & { code: "connection" | "timeout" | "server_error" | "bad_json" } {
  return e.code === "connection" || e.code === "timeout" || e.code === "server_error" || e.code === "bad_json";
}

export class Transport {
  private readonly closing = new AbortController();
  private readonly semaphore: Semaphore;

  constructor(private readonly config: TransportConfig) {
    this.semaphore = new Semaphore(config.concurrency);
  }

  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  /** Aborts when the model is closed (for waits between attempts). */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  /** Abort everything in flight; later requests fail with "closed". */
  close(): void {
    this.closing.abort(new Error("closed"));
  }

  /**
   * One POST of `body` as JSON to `endpoint + path`, holding a concurrency slot while it
   * runs. `request` is the caller's signal: when it aborts, the HTTP request is cancelled
   * and the promise rejects with an AbortError (never a retryable failure).
   */
  async post(endpoint: string, path: string, body: unknown, request?: AbortSignal): Promise<Reply> {
    if (this.closed) return { ok: false, error: { code: "closed", endpoint } };
    const release = await this.semaphore.acquire();
    try {
      throwIfAborted(request);
      return await this.attempt(endpoint, path, "POST", body, this.config.timeoutMs, request);
    } finally {
      release();
    }
  }

  /** One GET (best-effort metadata: /v1/models, /version). */
  get(endpoint: string, path: string, timeoutMs: number): Promise<Reply> {
    return this.attempt(endpoint, path, "GET", undefined, timeoutMs);
  }

  private async attempt(endpoint: string, path: string, method: "GET" | "POST", body: unknown, timeoutMs: number, request?: AbortSignal): Promise<Reply> {
    if (this.closed) return { ok: false, error: { code: "closed", endpoint } };
    const env = this.config.apiKeyEnv;
    const key = env ? process.env[env] : undefined;
    if (env && !key) return { ok: false, error: { code: "missing_api_key", endpoint, env } };
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (key) headers.authorization = `Bearer ${key}`;

    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([this.closing.signal, timeout, ...(request ? [request] : [])]);
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await fetch(endpoint + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
      status = res.status;
      retryAfter = res.headers.get("retry-after");
      text = await res.text(); // the timeout covers the body too
    } catch (err) {
      throwIfAborted(request); // the caller went away: not a failure of the endpoint
      if (this.closed) return { ok: false, error: { code: "closed", endpoint } };
      if (timeout.aborted) return { ok: false, error: { code: "timeout", endpoint, timeoutMs, attempts: 1 } };
      return { ok: false, error: { code: "connection", endpoint, cause: redact(networkCause(err), key), attempts: 1 } };
    }

    if (status >= 200 && status < 300) {
      try {
        return { ok: true, json: JSON.parse(text) as unknown };
      } catch {
        return { ok: false, error: { code: "bad_json", endpoint, attempts: 1, snippet: redact(text.slice(0, 200), key) } };
      }
    }
    const serverMessage = redact(messageOf(text), key);
    if (status === 401 || status === 403) return { ok: false, error: { code: "auth", endpoint, status, env, serverMessage } };
    if (status === 429 || status === 408 || status >= 500) {
      const retryAfterMs = parseRetryAfter(retryAfter, this.config.retryAfterMaxMs);
      return { ok: false, error: { code: "server_error", endpoint, status, serverMessage, attempts: 1, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } };
    }
    return { ok: false, error: { code: "http_error", endpoint, status, serverMessage } };
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
