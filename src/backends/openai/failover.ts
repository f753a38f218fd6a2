/**
 * Retries across the replicas of one model. An operation (one generation, one score, …)
 * runs against one endpoint; when it fails in a way another attempt can cure
 * (`isRetryable`: refused, reset, timeout, 429 / 5xx, a body that is not JSON), the
 * endpoint is benched (pool.ts) and the operation runs again on another endpoint at once.
 *
 * Attempts come in rounds: a round tries each endpoint at most once, healthy ones first.
 * When every endpoint has failed in a round, the request waits (the server's Retry-After,
 * else exponential backoff with full jitter) and starts the next round; after
 * `maxRetries` further rounds it fails, naming each endpoint's last failure. With one
 * endpoint this is the plain retry loop: maxRetries + 1 attempts.
 *
 * Requests in flight elsewhere are never interrupted by another endpoint's failure, and an
 * answer does not depend on which replica gave it: the model's id (and so the request
 * cache's key) holds the endpoint list, never the endpoint that served a request.
 */
import { type BackoffOptions, backoffDelay, sleep } from "./backoff.js";
import { BackendError, type OpenAIError } from "./errors.js";
import type { EndpointPool } from "./pool.js";
import { isRetryable } from "./transport.js";
import { throwIfAborted } from "../abort.js";

export interface RetryPolicy {
  maxRetries: number;
  backoff: BackoffOptions;
}

export class Failover {
  constructor(
    readonly pool: EndpointPool,
    private readonly policy: RetryPolicy,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Run `op` on an endpoint, moving to another (and retrying) as described above. When
   * `request` (the caller's signal) aborts, no further attempt starts and waits end: the
   * run rejects with an AbortError.
   */
  async run<T>(op: (endpoint: string) => Promise<T>, request?: AbortSignal): Promise<T> {
    const last = new Map<string, OpenAIError>();
    const tried = new Set<string>();
    let attempts = 0;
    let lastError: OpenAIError | undefined;
    for (let round = 0; ; ) {
      throwIfAborted(request);
      const lease = this.pool.take(tried);
      if (!lease) {
        // every endpoint failed this round
        if (round >= this.policy.maxRetries) throw new BackendError(this.finalError(last, lastError!, attempts));
        const held = [...last.values()].every((e) => e.code === "server_error" && e.retryAfterMs !== undefined);
        // a Retry-After is waited out as a hold when the endpoint is taken again
        await this.pause(held ? 0 : backoffDelay(round, this.policy.backoff), lastError!, request);
        round++;
        tried.clear();
        continue;
      }
      let error: OpenAIError;
      try {
        if (lease.waitMs > 0) await this.pause(lease.waitMs, { code: "closed", endpoint: lease.endpoint }, request);
        attempts++;
        const value = await op(lease.endpoint);
        lease.settle({ kind: "answered" });
        return value;
      } catch (e) {
        if (!(e instanceof BackendError)) {
          lease.settle({ kind: "none" });
          throw e;
        }
        error = e.detail;
        if (!isRetryable(error)) {
          lease.settle({ kind: error.code === "closed" || error.code === "missing_api_key" ? "none" : "answered" });
          throw e;
        }
        lease.settle({ kind: "failed", ...(error.code === "server_error" && error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) });
      }
      last.set(lease.endpoint, error);
      lastError = error;
      tried.add(lease.endpoint);
    }
  }

  /** Sleep `ms`; a close() meanwhile ends the request with "closed", the caller's abort with an AbortError. */
  private async pause(ms: number, last: OpenAIError, request?: AbortSignal): Promise<void> {
    try {
      await sleep(ms, request ? AbortSignal.any([this.signal, request]) : this.signal);
    } catch {
      throwIfAborted(request);
      throw new BackendError({ code: "closed", endpoint: "endpoint" in last ? last.endpoint : this.pool.endpoints[0] });
    }
  }

  /** One endpoint: its own error with the attempt count; several: each endpoint's last failure. */
  private finalError(last: Map<string, OpenAIError>, lastError: OpenAIError, attempts: number): OpenAIError {
    if (this.pool.endpoints.length === 1) return "attempts" in lastError ? { ...lastError, attempts } : lastError;
    const failures = this.pool.endpoints.filter((e) => last.has(e)).map((endpoint) => ({ endpoint, error: last.get(endpoint)! }));
    return { code: "endpoints_down", failures, attempts };
  }
}
