/**
 * One base, many LoRA arms (src/backends/builtin/shared-base.ts): `builtin:B` and
 * `builtin:B+lora:A…` opened together load B once (the process's load counter moves by one),
 * every arm gives exactly the log-probs it gives when opened alone, closing one arm leaves
 * the others working, and a base folder rewritten on disk is loaded again.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openModel, sharedBaseStats, type LanguageModel } from "../../src/backends/index.js";
import { writePeftAdapter } from "../../src/formats/index.js";
import { createTsKernels } from "../../src/tensor/index.js";
import { randomAdapter } from "../formats/lora-fixtures.js";
import { tempDir } from "../formats/helpers.js";
import { saveModel, seededParams, TINY } from "../weights/models.js";

const dir = await tempDir("shared-base");
const base = await saveModel(join(dir, "base"), seededParams(TINY, 3));
const adapters: string[] = [];
for (const seed of [31, 32, 33]) {
  const a = join(dir, `adapter-${seed}`);
  await writePeftAdapter(a, randomAdapter(TINY, { seed, r: 2, alpha: 4, targets: ["q_proj", "v_proj", "down_proj"] }), { baseModel: base });
  adapters.push(a);
}
const specs = [`builtin:${base}`, ...adapters.map((a, i) => `builtin:${base}+lora:${a}${i === 2 ? "@0.5" : ""}`)];
const ids = [1, 5, 9, 14, 3, 7, 22, 40, 2, 11];

/** Every position's log-probs of the whole vocabulary. */
async function logprobs(m: LanguageModel): Promise<number[][]> {
  const pos = await m.scoreTokens!(ids, TINY.vocabSize);
  return pos.map((p) => [...p.top].sort((a, b) => a.id - b.id).map((t) => t.logprob));
}

describe("a base shared by its LoRA arms", () => {
  it("loads the base once for the base arm and every adapter arm, each as it scores alone", async () => {
    const kernels = createTsKernels();
    const before = sharedBaseStats().loads;
    const arms: LanguageModel[] = [];
    for (const s of specs) arms.push(await openModel(s, { kernels }));
    expect(sharedBaseStats().loads - before).toBe(1);
    expect(new Set(arms.map((a) => a.id)).size).toBe(specs.length);

    const together = await Promise.all(arms.map(logprobs));
    // each arm alone: other kernels, so nothing is shared with the arms above
    for (const [i, s] of specs.entries()) {
      const alone = await openModel(s, { kernels: createTsKernels() });
      expect(alone.id).toBe(arms[i].id);
      expect(together[i]).toEqual(await logprobs(alone));
      await alone.close();
    }
    // the adapters matter: no arm scores like the base
    for (let i = 1; i < specs.length; i++) expect(together[i]).not.toEqual(together[0]);

    // closing one arm leaves the others (and the base) working, and loads nothing
    await arms[1].close();
    expect(await logprobs(arms[0])).toEqual(together[0]);
    expect(await logprobs(arms[2])).toEqual(together[2]);
    const reopened = await openModel(specs[3], { kernels });
    expect(await logprobs(reopened)).toEqual(together[3]);
    expect(sharedBaseStats().loads - before).toBe(1 + specs.length); // the arms opened alone, one load each
    for (const a of [...arms, reopened]) await a.close();
  });

  it("loads a base folder again once its files change", async () => {
    const kernels = createTsKernels();
    const folder = await saveModel(join(dir, "rewritten"), seededParams(TINY, 5));
    const first = await openModel(`builtin:${folder}`, { kernels });
    await saveModel(folder, seededParams(TINY, 6));
    const before = sharedBaseStats().loads;
    const second = await openModel(`builtin:${folder}`, { kernels });
    expect(sharedBaseStats().loads - before).toBe(1);
    expect(second.id).not.toBe(first.id);
    const fresh = await openModel(`builtin:${folder}`, { kernels: createTsKernels() });
    expect(await logprobs(second)).toEqual(await logprobs(fresh));
  });
});
