/** The lab's run-folder layout has one owner: step names, checkpoint listing, and which folder a path names. */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  findCheckpointDir, isStepDir, latestCheckpoint, listCheckpoints, readRunManifest, resolveCheckpointDir, stepDir, stepName, ZOO_DIR,
} from "../../src/formats/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-run-folder-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a self-improvement loop's folder", () => {
  it("names the model the last finished round's done.json names; an unfinished loop names none", async () => {
    const loop = join(dir, "si");
    const ck = stepDir(join(loop, "round-02"), 8);
    await mkdir(ck, { recursive: true });
    await writeFile(join(ck, "config.json"), "{}");
    await writeFile(join(loop, "self-improve.json"), "{}");
    expect(await findCheckpointDir(loop)).toMatchObject({ ok: false, why: "no-checkpoint" });
    await mkdir(join(loop, "round-01"), { recursive: true });
    await writeFile(join(loop, "round-01", "done.json"), JSON.stringify({ model: "zoo/base-m", trained: false }));
    await mkdir(join(loop, "round-02"), { recursive: true });
    await writeFile(join(loop, "round-02", "done.json"), JSON.stringify({ model: ck, trained: true }));
    await mkdir(join(loop, "round-03"), { recursive: true }); // the last measurement, not finished yet
    expect(await findCheckpointDir(loop)).toEqual({ ok: true, dir: ck });
    // a path relative to the loop's folder
    await writeFile(join(loop, "round-03", "done.json"), JSON.stringify({ model: join("round-02", "checkpoints", "step-000008"), trained: false }));
    expect(await findCheckpointDir(loop)).toEqual({ ok: true, dir: ck });
  });
});

describe("run folders", () => {
  it("names steps so that they sort by step, and lists only complete checkpoint folders", async () => {
    expect(stepName(300)).toBe("step-000300");
    expect(stepDir("runs/x", 7)).toBe(join("runs/x", "checkpoints", "step-000007"));
    expect(isStepDir(stepDir("runs/x", 300), 300)).toBe(true);
    expect(isStepDir(stepDir("runs/x", 300), 30)).toBe(false);
    const run = join(dir, "run");
    for (const s of [1000, 20, 300]) await mkdir(stepDir(run, s), { recursive: true });
    await mkdir(join(run, "checkpoints", "step-000400.tmp-123")); // a save in progress
    expect(await listCheckpoints(run)).toEqual([20, 300, 1000].map((s) => stepDir(run, s)));
    expect(await latestCheckpoint(run)).toBe(stepDir(run, 1000));
    expect(await listCheckpoints(join(dir, "nothing"))).toEqual([]);
    expect(await latestCheckpoint(join(dir, "nothing"))).toBeNull();
  });

  it("a path names a checkpoint folder (config.json), a run's newest checkpoint, or nothing, and says which", async () => {
    const ck = join(dir, "ck");
    await mkdir(ck);
    await writeFile(join(ck, "config.json"), "{}");
    expect(await findCheckpointDir(ck)).toEqual({ ok: true, dir: ck });
    expect(await findCheckpointDir(join(dir, "run"))).toEqual({ ok: true, dir: stepDir(join(dir, "run"), 1000) });
    expect(await findCheckpointDir(join(dir, "absent"))).toEqual({ ok: false, why: "no-folder", path: join(dir, "absent") });
    await mkdir(join(dir, "empty"));
    expect(await findCheckpointDir(join(dir, "empty"))).toEqual({ ok: false, why: "no-checkpoint", path: join(dir, "empty") });
    expect(await resolveCheckpointDir(join(dir, "absent"))).toBe(join(dir, "absent"));
    // zoo/NAME: the local folder when there is one, else the package's own copy
    expect(existsSync(join(await resolveCheckpointDir("zoo/base-s"), "config.json"))).toBe(true);
  });

  it("reads run.json against its schema and names the bad field", async () => {
    const run = join(dir, "manifest");
    await mkdir(run);
    expect((await readRunManifest(run)).ok).toBe(false);
    await writeFile(join(run, "run.json"), JSON.stringify({ recipe: "sft", seed: "one" }));
    const r = await readRunManifest(run);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/run\.json: cannot use the run manifest \(seed: .*\)/);
    const zoo = await readRunManifest(join(ZOO_DIR, "base-m"));
    expect(zoo.ok && zoo.value.recipe).toBe("pretrain");
  });
});
