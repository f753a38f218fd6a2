/**
 * The server's work queue: at most `maxConcurrent` requests compute at once and at most
 * `maxQueue` wait; a request beyond that is refused (429) rather than held in memory.
 *
 * A big request (more work than one full context, see limits.ts) may hold every slot but
 * one, so a small request never waits for a big one to finish; waiting small requests are
 * admitted before waiting big ones. Inside the slots, the builtin backend's requests take
 * turns between decoding steps with the least-served first (src/backends/builtin/turns.ts).
 */

export interface QueueState {
  running: number;
  waiting: number;
}

/** Admitted: call `release` exactly once when the request's work is done (it is idempotent). */
export type Admission = { ok: true; release: () => void } | { ok: false; reason: "full" | "gone" };

interface Waiter {
  big: boolean;
  admit(): void;
}

export class WorkQueue {
  private running = 0;
  private runningBig = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly maxConcurrent: number, readonly maxQueue: number) {
    if (!(maxConcurrent >= 1)) throw new Error(`max concurrent requests must be at least 1, got ${maxConcurrent}`);
    if (!(maxQueue >= 0)) throw new Error(`max queued requests must be at least 0, got ${maxQueue}`);
  }

  get state(): QueueState {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Big requests running at once: all slots but one, so a small request always has one. */
  private get bigSlots(): number {
    return Math.max(1, this.maxConcurrent - 1);
  }

  private fits(big: boolean): boolean {
    return this.running < this.maxConcurrent && (!big || this.runningBig < this.bigSlots);
  }

  /**
   * A slot for one request: at once when one is free, after waiting when the queue has
   * room, "full" when it has none, "gone" when `signal` aborts (the client left) first.
   */
  enter(big: boolean, signal: AbortSignal): Promise<Admission> {
    if (signal.aborted) return Promise.resolve({ ok: false, reason: "gone" });
    if (this.fits(big)) return Promise.resolve({ ok: true, release: this.take(big) });
    if (this.waiting.length >= this.maxQueue) return Promise.resolve({ ok: false, reason: "full" });
    return new Promise((resolve) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(w);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve({ ok: false, reason: "gone" });
      };
      const w: Waiter = {
        big,
        admit: () => {
          signal.removeEventListener("abort", onAbort);
          resolve({ ok: true, release: this.take(big) });
        },
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(w);
    });
  }

  private take(big: boolean): () => void {
    this.running++;
    if (big) this.runningBig++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.running--;
      if (big) this.runningBig--;
      this.admitWaiting();
    };
  }

  private admitWaiting(): void {
    for (;;) {
      // small requests first, then big ones, each in arrival order
      const i = [this.waiting.findIndex((w) => !w.big), this.waiting.findIndex((w) => w.big)].find((j) => j >= 0 && this.fits(this.waiting[j].big));
      if (i === undefined) return;
      const [w] = this.waiting.splice(i, 1);
      w.admit();
    }
  }
}
