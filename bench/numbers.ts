/** What the scoring benches share: the median of timed passes, a plain tokens/s format, and round-robin timing. */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const fmt = (x: number, digits = 0): string => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A timed path: `run(n)` does the work for the first n items. */
export type TimedPath = readonly [name: string, run: (n: number) => Promise<void>];

/**
 * Seconds per pass of each path: one warm-up of `warm` items each, then `repeats` rounds
 * that run every path in turn over `n` items (round-robin, so a busy spell of the machine
 * falls on all of them alike).
 */
export async function roundRobinPasses(paths: readonly TimedPath[], n: number, repeats: number, warm: number): Promise<number[][]> {
  const times = paths.map(() => [] as number[]);
  for (const [, run] of paths) await run(warm);
  for (let k = 0; k < repeats; k++) {
    for (let p = 0; p < paths.length; p++) {
      const t0 = performance.now();
      await paths[p][1](n);
      times[p].push((performance.now() - t0) / 1000);
    }
  }
  return times;
}
