/**
 * `npm run bench:fuzz`: the parser fuzz properties of test/fuzz with many more cases. Each
 * case runs under the same guard as in the tests (time and memory budgets); a failing case
 * is counted and the run goes on, then the first failure of each property is replayed from
 * its seed and path and shrunk to a small counterexample, which is printed.
 *
 *   FUZZ_SEED=N or --seed=N        base seed (default: the tests' seed); each property derives its own
 *   FUZZ_RUNS=N or --runs=N        cases per property (default: 20 × the test's count)
 *   FUZZ_ONLY=a,b or --only=a,b    only these parsers (safetensors, gguf, hf, dataset, serve, gate, yaml)
 *
 * Prints per property and per parser: cases, failures, seconds; the last line is
 * machine-readable:
 *   fuzz cases=N failures=F seconds=S seed=X
 * Exits 1 when any case failed.
 */
import fc from "fast-check";
import { DEFAULT_SEED, propertySeed, safeJson, type FuzzFamily, type FuzzProperty } from "../test/fuzz/helpers.js";
import { FUZZ_FAMILIES } from "../test/fuzz/properties.js";

function option(name: string, env: string): string | undefined {
  const flag = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return flag !== undefined ? flag.slice(name.length + 3) : process.env[env];
}

const seedText = option("seed", "FUZZ_SEED");
const runsText = option("runs", "FUZZ_RUNS");
const only = option("only", "FUZZ_ONLY")?.split(",").map((s) => s.trim()).filter(Boolean);
const SEED = seedText !== undefined ? Number(seedText) : DEFAULT_SEED;
if (!Number.isInteger(SEED)) throw new Error(`--seed / FUZZ_SEED must be an integer, got ${seedText}`);
const RUNS = runsText !== undefined ? Number(runsText) : undefined;
if (RUNS !== undefined && !(Number.isInteger(RUNS) && RUNS > 0)) throw new Error(`--runs / FUZZ_RUNS must be a positive integer, got ${runsText}`);
const unknown = only?.filter((p) => !FUZZ_FAMILIES.some((f) => f.parser === p)) ?? [];
if (unknown.length) throw new Error(`--only / FUZZ_ONLY: no parser ${unknown.join(", ")}; the parsers are ${FUZZ_FAMILIES.map((f) => f.parser).join(", ")}`);

interface Tally {
  cases: number;
  failures: number;
  seconds: number;
}

async function runProperty(family: FuzzFamily<unknown>, p: FuzzProperty<unknown>, ctx: unknown): Promise<Tally> {
  const c = p.make(ctx);
  const seed = propertySeed(SEED, family.parser, p.name);
  const numRuns = RUNS ?? p.benchRuns ?? 20 * p.runs;
  let cases = 0;
  let failures = 0;
  let first: { index: number; error: unknown } | null = null;
  const t0 = performance.now();
  // every case is run and counted: the predicate itself never fails
  await fc.check(fc.asyncProperty(c.arb, async (v) => {
    const index = cases++;
    try {
      await c.check(v);
    } catch (error) {
      failures++;
      first ??= { index, error };
    }
  }), { seed, numRuns });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`  ${p.name}: cases=${cases} failures=${failures} seconds=${seconds.toFixed(1)} seed=${seed}`);
  if (first !== null) {
    const f: { index: number; error: unknown } = first;
    // replay the first failure from its path, shrinking it (unless its cases are too slow to shrink)
    // a minute at most: a failure that is a slow case makes every shrinking step slow too
    const replay = await fc.check(fc.asyncProperty(c.arb, c.check), { seed, path: String(f.index), endOnFailure: p.endOnFailure ?? false, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: false });
    const error = replay.failed ? replay.errorInstance : f.error;
    const message = (error instanceof Error ? error.message : String(error)).split("\n")[0].slice(0, 300);
    console.log(`    first failure: ${message}`);
    console.log(`    replay: { seed: ${seed}, path: "${replay.counterexamplePath ?? f.index}" } counterexample: ${safeJson(replay.counterexample ?? null)}`);
  }
  return { cases, failures, seconds };
}

const total: Tally = { cases: 0, failures: 0, seconds: 0 };
for (const family of FUZZ_FAMILIES) {
  if (only && !only.includes(family.parser)) continue;
  console.log(`${family.parser}`);
  const ctx = await family.setup();
  const sum: Tally = { cases: 0, failures: 0, seconds: 0 };
  try {
    for (const p of family.properties) {
      const t = await runProperty(family, p, ctx);
      sum.cases += t.cases;
      sum.failures += t.failures;
      sum.seconds += t.seconds;
    }
  } finally {
    await family.teardown(ctx);
  }
  console.log(`${family.parser} cases=${sum.cases} failures=${sum.failures} seconds=${sum.seconds.toFixed(1)}`);
  total.cases += sum.cases;
  total.failures += sum.failures;
  total.seconds += sum.seconds;
}
console.log(`fuzz cases=${total.cases} failures=${total.failures} seconds=${total.seconds.toFixed(1)} seed=${SEED}`);
process.exitCode = total.failures > 0 ? 1 : 0;
