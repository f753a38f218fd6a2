/**
 * Bounded concurrency over a list of endpoints: a counting semaphore (requests in flight
 * over all endpoints) and a least-busy choice of endpoint, round robin among ties.
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

export class EndpointPool {
  private readonly assigned: number[];
  private turn = 0;
  constructor(readonly endpoints: readonly string[]) {
    this.assigned = endpoints.map(() => 0);
  }
  /** Pick the endpoint with the fewest requests assigned (ties: round robin); call the returned function when done. */
  take(): { endpoint: string; done: () => void } {
    const n = this.endpoints.length;
    let best = -1;
    for (let k = 0; k < n; k++) {
      const i = (this.turn + k) % n;
      if (best < 0 || this.assigned[i] < this.assigned[best]) best = i;
    }
    this.turn = (best + 1) % n;
    this.assigned[best]++;
    let finished = false;
    return {
      endpoint: this.endpoints[best],
      done: () => {
        if (!finished) this.assigned[best]--;
        finished = true;
      },
    };
  }
}
