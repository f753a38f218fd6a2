/**
 * SharedLoads: one load per key while users hold it, disposal by the last release, and a
 * failed load forgotten so that the next acquire tries again.
 */
import { describe, expect, it } from "vitest";
import { SharedLoads } from "../../../src/backends/llamacpp/shared-loads.js";

describe("SharedLoads", () => {
  it("loads once for concurrent users, disposes at the last release", async () => {
    const disposed: string[] = [];
    let loads = 0;
    const s = new SharedLoads<string, string>(async (v) => void disposed.push(v));
    const load = async () => `v${++loads}`;
    const [a, b] = await Promise.all([s.acquire("k", load), s.acquire("k", load)]);
    expect([a, b, loads]).toEqual(["v1", "v1", 1]);
    expect(await s.release("k")).toBe("held");
    expect(disposed).toEqual([]);
    expect(await s.release("k")).toBe("disposed");
    expect(disposed).toEqual(["v1"]);
    expect(s.size).toBe(0);
    expect(await s.release("k")).toBe("absent");
    expect(await s.acquire("k", load)).toBe("v2"); // a new user after the last release loads again
  });

  it("forgets a failed load: its users see the error, the next acquire loads again", async () => {
    const s = new SharedLoads<string, number>(async () => {});
    let tries = 0;
    const load = async () => {
      if (++tries === 1) throw new Error("no device");
      return tries;
    };
    await expect(Promise.all([s.acquire("gpu", load), s.acquire("gpu", load)])).rejects.toThrow("no device");
    expect(s.size).toBe(0);
    expect(await s.acquire("gpu", load)).toBe(2);
  });
});
