/**
 * The shipped zoo: every base model loads by its `builtin:zoo/NAME` spec, is the model
 * its recipe describes (run.json and zoo/recipes agree with config.json), the zoo stays
 * under its 25 MB budget, and the medium model, *sampled*, writes the world's three
 * solution formats in about the pre-training proportions (greedy decoding would hide
 * the mix; docs/ZOO.md has the full measurement).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openModel } from "../../src/backends/index.js";
import { ZOO_DIR, ZOO_MODELS } from "../../src/formats/index.js";
import { fromWorld, PROBES } from "../../src/probes/index.js";
import { collect, probeContext } from "../probes/helpers.js";
import { categoryShares } from "../../src/stats/index.js";
import { arithmetic, SOLUTION_CLASSES, tasks } from "../../src/world/index.js";

const ZOO = ZOO_MODELS; // every shipped model, the byte-level BPE one included

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await sizeOf(p) : (await stat(p)).size;
  }
  return total;
}

describe("the zoo", () => {
  it("stays under 25 MB (25,000,000 bytes) in all", async () => {
    expect(await sizeOf(ZOO_DIR)).toBeLessThan(25_000_000);
  });

  for (const name of ZOO) {
    it(`${name} loads as builtin:zoo/${name} and is the model its recipe describes`, async () => {
      const run = JSON.parse(await readFile(join(ZOO_DIR, name, "run.json"), "utf8"));
      const recipe = JSON.parse(await readFile(join(ZOO_DIR, "recipes", `${name}.json`), "utf8"));
      const config = JSON.parse(await readFile(join(ZOO_DIR, name, "config.json"), "utf8"));
      expect(run.recipe).toBe("pretrain");
      expect(run.seed).toBe(1);
      expect(run.steps).toBe(recipe.train.steps);
      expect(run.recipeConfig.model).toEqual({ ...run.recipeConfig.model, ...recipe.model });
      expect(config.hidden_size).toBe(recipe.model.dim);
      expect(config.num_hidden_layers).toBe(recipe.model.nLayers);
      expect(config.max_position_embeddings).toBe(recipe.model.contextLength);
      const m = await openModel(`builtin:zoo/${name}`);
      try {
        const g = await m.generate({ prompt: "Fact check. What is the job of Vili?\nAnswer: ", maxTokens: 12, temperature: 0 });
        expect(g.samples[0].text.length).toBeGreaterThan(0);
      } finally {
        await m.close();
      }
    });
  }

  it("base-m, sampled at T = 1, writes each solution format within 15 points of its pre-training share", async () => {
    const m = await openModel("builtin:zoo/base-m");
    try {
      const items = tasks.arithmetic.items({ config: tasks.arithmetic.defaults, seed: 1, split: "id", n: 150 }).map(fromWorld);
      const records = await collect(PROBES["format.collapse"].run(m, items, probeContext(m, { seed: 1, samples: 1, maxTokens: 160, batchSize: 16 })));
      const formats = records.map((r) => SOLUTION_CLASSES.find((c) => r.values[`count.${c}`] === 1)!);
      const shares = categoryShares(formats, SOLUTION_CLASSES);
      const mix = arithmetic.ARITHMETIC_DEFAULTS.formatMix;
      for (const f of arithmetic.SOLUTION_FORMATS) expect(Math.abs(shares[f].p - mix[f]), `${f}: ${shares[f].p} vs ${mix[f]}`).toBeLessThan(0.15);
    } finally {
      await m.close();
    }
  });
});
