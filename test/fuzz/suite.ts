/**
 * One vitest `describe` per parser family: each property runs its fixed number of cases
 * under its own fixed seed. On a failure fast-check prints the seed, the path and the
 * shrunk counterexample; `FUZZ_SEED=… npm run bench:fuzz` or fc's `{ seed, path }` replays it.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { DEFAULT_SEED, propertySeed, type FuzzFamily } from "./helpers.js";

export function fuzzSuite<Ctx>(family: FuzzFamily<Ctx>): void {
  describe(`fuzz: ${family.parser}`, () => {
    let ctx: Ctx | undefined;
    beforeAll(async () => {
      ctx = await family.setup();
    });
    afterAll(async () => {
      if (ctx !== undefined) await family.teardown(ctx);
    });
    for (const p of family.properties) {
      it(`${p.name} (${p.runs} cases)`, async () => {
        const c = p.make(ctx!);
        await fc.assert(fc.asyncProperty(c.arb, c.check), { seed: propertySeed(DEFAULT_SEED, family.parser, p.name), numRuns: p.runs, endOnFailure: p.endOnFailure ?? false });
      });
    }
  });
}
