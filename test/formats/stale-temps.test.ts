/**
 * Leftovers of killed writes: removed when their process is gone, kept while it runs
 * (stale-temps.ts), and removed by the next replaceDirAtomic of the same folder.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CharTokenizer, totalParameters, type ModelConfig } from "../../src/model/index.js";
import { processGone, removeStaleTemps, saveCheckpoint } from "../../src/formats/index.js";

const TINY: ModelConfig = {
  vocabSize: 112, dim: 8, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnDim: 16, contextLength: 16, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
};

let dir: string;
let live: ChildProcess;
/** A process that ran and exited (its pid no longer runs). */
let dead: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-stale-"));
  // NOTE: not this test's own pid: removeStaleTemps never treats its own process as gone,
  // so only another live process shows that a running writer's folder is kept
  live = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  const done = spawnSync(process.execPath, ["-e", ""]);
  dead = done.pid!;
});
afterAll(async () => {
  live.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

async function folderWithFile(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
  await writeFile(join(path, "model.safetensors"), "half");
}

describe("processGone", () => {
  it("tells an exited process from a running one and from this one", () => {
    expect(processGone(dead)).toBe(true);
    expect(processGone(live.pid!)).toBe(false);
    expect(processGone(process.pid)).toBe(false);
  });
});

describe("removeStaleTemps", () => {
  it("removes a dead process's folders and files, keeps a live one's and anything else", async () => {
    const d = join(dir, "mixed");
    await mkdir(d);
    await folderWithFile(join(d, `step-000010.tmp-${dead}`));
    await folderWithFile(join(d, `step-000010.tmp-${dead}.tmp-${dead}`));
    await folderWithFile(join(d, `step-000020.tmp-${live.pid}`));
    await folderWithFile(join(d, "step-000030"));
    await folderWithFile(join(d, "notes.tmp-draft"));
    await writeFile(join(d, `.run.json.${dead}.0badc0de.tmp`), "{");
    await writeFile(join(d, `.run.json.${live.pid}.0badc0de.tmp`), "{");
    const removed = await removeStaleTemps(d);
    expect(removed.sort()).toEqual([`.run.json.${dead}.0badc0de.tmp`, `step-000010.tmp-${dead}`, `step-000010.tmp-${dead}.tmp-${dead}`].map((n) => join(d, n)));
    expect((await readdir(d)).sort()).toEqual([`.run.json.${live.pid}.0badc0de.tmp`, "notes.tmp-draft", "step-000020.tmp-" + live.pid, "step-000030"].sort());
  });

  it("with `of`, only the leftovers of writes to those names", async () => {
    const d = join(dir, "of");
    await folderWithFile(join(d, `merged.tmp-${dead}`));
    await folderWithFile(join(d, `other.tmp-${dead}`));
    await removeStaleTemps(d, { of: ["merged"] });
    expect((await readdir(d)).sort()).toEqual([`other.tmp-${dead}`]);
  });

  it("never removes an .old- folder: it may be the one copy left, or a user's own folder of that name", async () => {
    const d = join(dir, "old");
    await folderWithFile(join(d, `a.old-${dead}`));
    await folderWithFile(join(d, "a"));
    await folderWithFile(join(d, `b.old-${dead}`));
    await folderWithFile(join(d, "merged.old-2024"));
    await folderWithFile(join(d, "merged"));
    await removeStaleTemps(d);
    expect((await readdir(d)).sort()).toEqual(["a", `a.old-${dead}`, `b.old-${dead}`, "merged", "merged.old-2024"]);
  });

  it("a missing folder has nothing to remove", async () => {
    expect(await removeStaleTemps(join(dir, "nope"))).toEqual([]);
  });
});

describe("replaceDirAtomic (through saveCheckpoint)", () => {
  it("removes the killed writes of the same folder and keeps a running writer's", async () => {
    const d = join(dir, "save");
    await folderWithFile(join(d, `ck.tmp-${dead}`));
    await folderWithFile(join(d, `ck.tmp-${live.pid}`));
    await folderWithFile(join(d, `other.tmp-${dead}`));
    const r = await saveCheckpoint(join(d, "ck"), { config: TINY, params: new Float32Array(totalParameters(TINY)), tokenizer: new CharTokenizer() });
    expect(r.ok).toBe(true);
    expect((await readdir(d)).sort()).toEqual(["ck", `ck.tmp-${live.pid}`, `other.tmp-${dead}`].sort());
  });
});
