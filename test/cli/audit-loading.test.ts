/**
 * `ftledger audit` says which model it is loading before the load starts, and how long it
 * took after: a real model is seconds of silence otherwise (the bench's 100M GGUF takes
 * ~13 s to open, its load check in a child process included), before any progress bar.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ftledger } from "./run-cli.js";

let dir = "";
// the same model twice (--no-preflight lets it through): the lines are about loading, not the ledger
const PAIR = ["--base", "builtin:zoo/base-s", "--tuned", "builtin:zoo/base-s", "--no-preflight"];
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("ftledger audit: loading progress", () => {
  it("prints `loading SPEC …` before the model opens and `loaded SPEC (T s)` once it has", async () => {
    dir = await mkdtemp(join(tmpdir(), "ftledger-audit-loading-"));
    const r = ftledger("audit", ...PAIR, "--probes", "task.accuracy", "--suite", "arithmetic", "--n", "2", "--store", join(dir, "store"));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split("\n");
    const loading = lines.indexOf("loading builtin:zoo/base-s …");
    const loaded = lines.findIndex((l) => /^loaded builtin:zoo\/base-s \(\d+\.\d s\)$/.test(l));
    const auditing = lines.findIndex((l) => l.startsWith("auditing builtin:zoo/base-s"));
    expect(loading).toBeGreaterThanOrEqual(0);
    expect(loaded).toBeGreaterThan(loading);
    expect(lines.filter((l) => l.startsWith("loaded builtin:zoo/base-s (")).length).toBe(2); // base, then tuned
    expect(auditing).toBeGreaterThan(loaded);
  });

  it("prints nothing of it with --quiet", async () => {
    const r = ftledger("audit", ...PAIR, "--probes", "task.accuracy", "--suite", "arithmetic", "--n", "2", "--store", join(dir, "store"), "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/loading|loaded/);
  });
});
