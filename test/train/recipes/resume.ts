/**
 * The kill-and-resume check the recipe tests share: run A uninterrupted; run B "killed"
 * (an exception) during update `killAt`, then resumed with a fresh recipe object. Returns
 * both results after checking the resumed run is bit-identical to A (losses and weights).
 */
import { join } from "node:path";
import { expect } from "vitest";
import { loadCheckpoint } from "../../../src/formats/index.js";
import type { Kernels } from "../../../src/tensor/index.js";
import { latestCheckpoint } from "../../../src/formats/index.js";
import { runLab, type LabRunResult, type Recipe } from "../../../src/train/index.js";

export interface KillAndResume {
  recipe: () => Recipe;
  root: string;
  kernels: Kernels;
  seed: number;
  every: number;
  killAt: number;
  /** The checkpoint the killed run must have left. */
  latest: RegExp;
  /** Checks between the kill and the resume (e.g. that a different config is refused). */
  beforeResume?: (killedDir: string) => Promise<void>;
}

export async function expectIdenticalAfterResume(o: KillAndResume): Promise<{ full: LabRunResult & { ok: true }; resumed: LabRunResult & { ok: true }; killedDir: string }> {
  const full = await runLab({ recipe: o.recipe(), dir: join(o.root, "a"), kernels: o.kernels, seed: o.seed, checkpointEvery: o.every });
  const killedDir = join(o.root, "b");
  const killed = runLab({
    recipe: o.recipe(), dir: killedDir, kernels: o.kernels, seed: o.seed, checkpointEvery: o.every,
    onStep: (s) => {
      if (s.step === o.killAt) throw new Error("killed");
    },
  });
  await expect(killed).rejects.toThrow("killed");
  expect(await latestCheckpoint(killedDir)).toMatch(o.latest);
  await o.beforeResume?.(killedDir);
  const resumed = await runLab({ recipe: o.recipe(), dir: killedDir, kernels: o.kernels, seed: o.seed, checkpointEvery: o.every, resume: true });
  if (!full.ok) throw new Error(`uninterrupted run failed: ${full.message}`);
  if (!resumed.ok) throw new Error(`resumed run failed: ${resumed.message}`);
  expect(resumed.losses).toEqual(full.losses);
  expect(resumed.data).toEqual(full.data);
  const a = await loadCheckpoint(full.checkpoint);
  const b = await loadCheckpoint(resumed.checkpoint);
  if (!a.ok || !b.ok) throw new Error("checkpoint failed to load");
  expect(Buffer.from(b.value.params.buffer).equals(Buffer.from(a.value.params.buffer))).toBe(true);
  return { full, resumed, killedDir };
}
