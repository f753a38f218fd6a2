/**
 * The endpoint pool's health rules on a hand-driven clock: the bench doubles per
 * consecutive failure up to its cap, one request at a time probes an endpoint whose bench
 * ended, a Retry-After is a wait, and an answer makes an endpoint healthy again.
 */
import { describe, expect, it } from "vitest";
import { EndpointPool } from "../../../src/backends/openai/pool.js";

function pool(n = 2) {
  const clock = { t: 1_000_000 };
  const endpoints = Array.from({ length: n }, (_, i) => `http://e${i}/v1`);
  return { clock, p: new EndpointPool(endpoints, { benchBaseMs: 5_000, benchMaxMs: 60_000 }, () => clock.t), endpoints };
}

/** Fail endpoint 0 once (it is taken first by round robin when both are healthy). */
function failFirst(p: EndpointPool, endpoint: string): void {
  const l = p.take()!;
  expect(l.endpoint).toBe(endpoint);
  l.settle({ kind: "failed" });
}

describe("EndpointPool", () => {
  it("benches a failed endpoint for 5 s, doubling per consecutive failure, capped at 60 s", () => {
    const { clock, p, endpoints } = pool();
    const benches: number[] = [];
    failFirst(p, endpoints[0]);
    for (let k = 0; k < 6; k++) {
      // find when e0 is ready again: step the clock until take() offers it first
      let waited = 0;
      while (p.unavailable().includes(endpoints[0])) {
        clock.t += 1_000;
        waited += 1_000;
      }
      benches.push(waited);
      const probe = p.take(new Set([endpoints[1]]))!;
      expect(probe.endpoint).toBe(endpoints[0]);
      probe.settle({ kind: "failed" });
    }
    expect(benches).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);
  });

  it("sends healthy endpoints the traffic; only one request probes a bench that ended; an answer heals", () => {
    const { clock, p, endpoints } = pool();
    failFirst(p, endpoints[0]);
    for (let i = 0; i < 3; i++) {
      const l = p.take()!;
      expect(l.endpoint).toBe(endpoints[1]);
      l.settle({ kind: "answered" });
    }
    clock.t += 5_000;
    const probe = p.take()!;
    expect(probe.endpoint).toBe(endpoints[0]);
    const other = p.take()!;
    expect(other.endpoint).toBe(endpoints[1]); // e0 is being probed
    probe.settle({ kind: "answered" });
    other.settle({ kind: "answered" });
    const seen = new Set([p.take()!, p.take()!].map((l) => l.endpoint));
    expect(seen).toEqual(new Set(endpoints)); // healthy again: back in the rotation
  });

  it("when every untried endpoint is benched, offers the one whose bench ends first, without waiting", () => {
    const { clock, p, endpoints } = pool();
    failFirst(p, endpoints[0]);
    clock.t += 1_000;
    const l = p.take()!;
    expect(l.endpoint).toBe(endpoints[1]);
    l.settle({ kind: "failed" });
    const next = p.take()!;
    expect(next).toMatchObject({ endpoint: endpoints[0], waitMs: 0 });
    expect(p.take(new Set(endpoints))).toBeUndefined();
  });

  it("a Retry-After is a hold: skipped while another endpoint is free, waited out when none is", () => {
    const { p, endpoints } = pool();
    const l = p.take()!;
    l.settle({ kind: "failed", retryAfterMs: 2_000 });
    expect(p.take()!.endpoint).toBe(endpoints[1]);
    expect(p.take(new Set([endpoints[1]]))).toMatchObject({ endpoint: endpoints[0], waitMs: 2_000 });
  });
});
