/**
 * Retry delays: exponential backoff with full jitter (delay ~ U(0, min(max, base·2^attempt)),
 * after the AWS Architecture Blog's "Exponential Backoff and Jitter"), and the server's
 * Retry-After header (delay-seconds or an HTTP-date, RFC 9110 §10.2.3) when it sends one.
 */

export interface BackoffOptions {
  retryBaseMs: number;
  retryMaxMs: number;
  retryAfterMaxMs: number;
  rng: () => number;
}

/** Delay before retry number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, o: BackoffOptions): number {
  const ceiling = Math.min(o.retryMaxMs, o.retryBaseMs * 2 ** attempt);
  return Math.floor(o.rng() * ceiling);
}

/** Retry-After in ms, capped at `maxMs`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, maxMs: number, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.min(maxMs, Math.round(Number(v) * 1000));
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(maxMs, Math.max(0, at - now));
}

/** Sleep that ends early (rejecting) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
