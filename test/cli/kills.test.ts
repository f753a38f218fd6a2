/**
 * Real SIGKILLs (not exceptions) in the middle of long work, through the CLI:
 * - `lab train`: killed after a checkpoint, then `--resume`d: the loss curve is the one an
 *   uninterrupted run draws, step by step, and the run folder holds no temp folders.
 * - `export gguf`: killed at several moments of the write: the output path is either absent
 *   or a complete file identical to an uninterrupted export — never a half-written one.
 * (The audit's kill test is in audit.test.ts, the merge's in test/weights/merge-run.test.ts,
 * the sweep's in sweep.test.ts.)
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ftledger } from "./run-cli.js";

const root = join(import.meta.dirname, "..", "..");
const main = join(root, "src", "cli", "main.ts");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-kills-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start the CLI in a child; SIGKILL it once `ready()` holds (polled), or after `afterMs`. */
async function killWhen(args: string[], when: { ready?: () => boolean; afterMs?: number }): Promise<"killed" | "finished"> {
  const child = spawn(process.execPath, ["--import", "tsx", main, ...args], { cwd: root, stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const start = Date.now();
  for (;;) {
    await sleep(20);
    if (child.exitCode !== null) return "finished";
    if (when.ready?.() || (when.afterMs !== undefined && Date.now() - start >= when.afterMs)) break;
  }
  child.kill("SIGKILL");
  await exited;
  return "killed";
}

/** The deterministic fields of metrics.jsonl (its `ms` is wall time). */
async function curve(run: string): Promise<unknown[]> {
  const text = await readFile(join(run, "metrics.jsonl"), "utf8");
  return text.trim().split("\n").map((l) => {
    const { ms: _ms, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });
}

describe("SIGKILL mid-work", () => {
  it("lab train: killed after a checkpoint, resumed: the uninterrupted loss curve, no temp folders left", async () => {
    const STEPS = ["--steps", "400", "--every", "20", "--seed", "5"];
    const a = ftledger("lab", "train", "toy", "--out", join(dir, "a"), ...STEPS);
    expect(a.code, a.stderr).toBe(0);
    const b = join(dir, "b");
    const how = await killWhen(["lab", "train", "toy", "--out", b, ...STEPS], { ready: () => existsSync(join(b, "checkpoints", "step-000060")) });
    expect(how, "training finished before it could be killed; raise --steps").toBe("killed");
    const kept = await readdir(join(b, "checkpoints"));
    expect(kept).not.toContain("step-000400");
    const r = ftledger("lab", "train", "toy", "--out", b, "--resume", "--seed", "5");
    expect(r.code, r.stderr).toBe(0);
    expect(await curve(b)).toEqual(await curve(join(dir, "a")));
    const left = (await readdir(join(b, "checkpoints"))).filter((f) => f.includes(".tmp-"));
    expect(left).toEqual([]);
  }, 180_000);

  it("export gguf: killed at several moments, the output is absent or whole — never half-written", async () => {
    const ckpt = join(root, "zoo", "base-m");
    const ref = join(dir, "ref.gguf");
    const e = ftledger("export", "gguf", ckpt, ref);
    expect(e.code, e.stderr).toBe(0);
    const want = await readFile(ref);
    let killed = 0;
    for (const ms of [150, 400, 700, 1000, 1300, 1600]) {
      const out = join(dir, `k-${ms}.gguf`);
      if ((await killWhen(["export", "gguf", ckpt, out], { afterMs: ms })) === "killed") killed++;
      if (existsSync(out)) expect((await readFile(out)).equals(want), `${out} exists but differs from a whole export`).toBe(true);
    }
    expect(killed, "every export finished before its kill; the moments are too late for this machine").toBeGreaterThan(0);
    // exporting again to the same names completes each, and removes what the killed writes left
    for (const ms of [150, 400, 700, 1000, 1300, 1600]) expect(ftledger("export", "gguf", ckpt, join(dir, `k-${ms}.gguf`)).code).toBe(0);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }, 180_000);
});
