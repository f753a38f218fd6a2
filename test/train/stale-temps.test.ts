/**
 * A lab run killed while saving leaves `checkpoints/step-N.tmp-<pid>`; resuming removes it,
 * but never the folder of a process that still runs (another run writing there).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { recipes, runLab, type Recipe } from "../../src/train/index.js";

const kernels = createTsKernels();
const tiny: Recipe = {
  ...recipes.toy,
  defaults: { ...recipes.toy.defaults, batchSize: 4 },
  model: (tok) => ({ ...recipes.toy.model(tok), dim: 32, ffnDim: 64, nLayers: 1, contextLength: 32 }),
};

describe("resuming a lab run", () => {
  it("removes the half-written checkpoint folders and files of dead processes, keeps a live one's", async () => {
    const root = await mkdtemp(join(tmpdir(), "ftledger-run-stale-"));
    const live = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      const dead = spawnSync(process.execPath, ["-e", ""]).pid;
      const run = join(root, "run");
      const killed = runLab({
        recipe: tiny, dir: run, kernels, seed: 3, steps: 20, checkpointEvery: 10,
        onStep: (s) => {
          if (s.step === 15) throw new Error("killed");
        },
      });
      await expect(killed).rejects.toThrow("killed");
      const ckpts = join(run, "checkpoints");
      // what a process killed during its step-20 save leaves, and what a live one is writing
      await mkdir(join(ckpts, `step-000020.tmp-${dead}`));
      await writeFile(join(ckpts, `step-000020.tmp-${dead}`, "model.safetensors"), "half");
      await mkdir(join(ckpts, `step-000020.tmp-${dead}.tmp-${dead}`));
      await mkdir(join(ckpts, `step-000030.tmp-${live.pid}`));
      await writeFile(join(run, `.metrics.jsonl.${dead}.0badc0de.tmp`), "{\"step\":");

      const resumed = await runLab({ recipe: tiny, dir: run, kernels, seed: 3, checkpointEvery: 10, resume: true });
      expect(resumed.ok).toBe(true);
      expect((await readdir(ckpts)).sort()).toEqual(["step-000010", "step-000020", `step-000030.tmp-${live.pid}`]);
      expect((await readdir(run)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    } finally {
      live.kill("SIGKILL");
      await rm(root, { recursive: true, force: true });
    }
  });
});
