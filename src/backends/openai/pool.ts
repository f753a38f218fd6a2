/**
 * Bounded concurrency over a list of endpoints (replicas of one model): a counting
 * semaphore (requests in flight over all endpoints) and the choice of endpoint for each
 * attempt, which follows each endpoint's health.
 *
 *   healthy   chosen by fewest requests assigned, round robin among ties
 *   benched   failed its last attempt (refused, reset, timeout, 5xx, not JSON): skipped while
 *             a healthy endpoint remains, for benchBaseMs · 2^(failures−1), capped at benchMaxMs
 *   probing   its bench is over and one request is trying it; the others still skip it until
 *             that request settles (healthy again on an answer, benched longer on a failure)
 *   held      answered 429 / 503 with Retry-After: no request goes there before that time
 *
 * A bench only ranks endpoints: when every endpoint a request has not yet tried is benched,
 * it tries the one whose bench ends first rather than wait (its own backoff paces it,
 * failover.ts). A hold is a wait: the server said when to come back.
 */

export class Semaphore {
  private free: number;
  private readonly waiters: Array<() => void> = [];
  constructor(readonly size: number) {
    this.free = size;
  }
  /** Resolves with a release function once a slot is free. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next(); // hand the slot over directly
      else this.free++;
    };
  }
}

export interface BenchOptions {
  benchBaseMs: number;
  benchMaxMs: number;
}

/** How an attempt on a leased endpoint ended, for the endpoint's health. */
export type Outcome =
  /** The server answered (any answer that is not a retryable failure): healthy. */
  | { kind: "answered" }
  /** A retryable failure: bench it, or hold it for the server's Retry-After. */
  | { kind: "failed"; retryAfterMs?: number }
  /** Nothing was learnt about the server (closed, no key): health unchanged. */
  | { kind: "none" };

/** One attempt's endpoint: wait `waitMs` (a hold) before sending, then `settle` exactly once. */
export interface Lease {
  endpoint: string;
  waitMs: number;
  settle(outcome: Outcome): void;
}

interface Health {
  assigned: number;
  /** Consecutive failures; 0 = healthy. */
  failures: number;
  benchedUntil: number;
  heldUntil: number;
  probing: boolean;
}

export class EndpointPool {
  private readonly health: Health[];
  private turn = 0;
  constructor(
    readonly endpoints: readonly string[],
    private readonly bench: BenchOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.health = endpoints.map(() => ({ assigned: 0, failures: 0, benchedUntil: 0, heldUntil: 0, probing: false }));
  }

  /** The endpoint for the next attempt among those not in `tried`; undefined when all are tried. */
  take(tried: ReadonlySet<string> = new Set()): Lease | undefined {
    const t = this.now();
    const open = this.endpoints.map((e, i) => i).filter((i) => !tried.has(this.endpoints[i]));
    if (open.length === 0) return undefined;
    const h = this.health;
    const ready = open.filter((i) => t >= h[i].heldUntil && t >= h[i].benchedUntil && !h[i].probing);
    let pick: number;
    if (ready.length > 0) pick = this.leastBusy(ready);
    else {
      const unheld = open.filter((i) => t >= h[i].heldUntil);
      const pool = unheld.length > 0 ? unheld : open;
      const key = (i: number) => (unheld.length > 0 ? h[i].benchedUntil : h[i].heldUntil);
      pick = pool.reduce((a, b) => (key(b) < key(a) ? b : a));
    }
    const probe = h[pick].failures > 0 && !h[pick].probing;
    if (probe) h[pick].probing = true;
    h[pick].assigned++;
    let settled = false;
    return {
      endpoint: this.endpoints[pick],
      waitMs: Math.max(0, h[pick].heldUntil - t),
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        h[pick].assigned--;
        if (probe) h[pick].probing = false;
        this.record(pick, outcome);
      },
    };
  }

  /** A failure seen outside a lease (the metadata requests when the model is opened). */
  markFailed(endpoint: string): void {
    const i = this.endpoints.indexOf(endpoint);
    if (i >= 0) this.record(i, { kind: "failed" });
  }

  /** Endpoints benched or held right now (for tests and messages). */
  unavailable(): string[] {
    const t = this.now();
    return this.endpoints.filter((_, i) => t < this.health[i].benchedUntil || t < this.health[i].heldUntil);
  }

  private record(i: number, outcome: Outcome): void {
    const h = this.health[i];
    const t = this.now();
    if (outcome.kind === "answered") {
      h.failures = 0;
      h.benchedUntil = 0;
    } else if (outcome.kind === "failed" && outcome.retryAfterMs !== undefined) {
      // the server is alive and said when to come back: hold it that long, no bench
      h.heldUntil = Math.max(h.heldUntil, t + outcome.retryAfterMs);
    } else if (outcome.kind === "failed") {
      h.failures++;
      const ms = Math.min(this.bench.benchMaxMs, this.bench.benchBaseMs * 2 ** Math.min(h.failures - 1, 30));
      h.benchedUntil = t + ms;
    }
  }

  private leastBusy(candidates: number[]): number {
    const n = this.endpoints.length;
    let best = -1;
    for (let k = 0; k < n; k++) {
      const i = (this.turn + k) % n;
      if (!candidates.includes(i)) continue;
      if (best < 0 || this.health[i].assigned < this.health[best].assigned) best = i;
    }
    this.turn = (best + 1) % n;
    return best;
  }
}
