/**
 * `ftledger sweep` end to end on the smallest zoo model and a damaged copy of it: the dose
 * models written once and reused, the dose-response printed and kept as JSON and HTML, a
 * killed sweep that resumes, and bad input.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { saveDamagedCopy } from "../helpers/damaged-model.js";
import { ftledger } from "./run-cli.js";

const dir = await mkdtemp(join(tmpdir(), "ftledger-sweep-"));
const tuned = await saveDamagedCopy("base-s", join(dir, "damaged"), { scale: 0.3, seed: 5 });
const store = join(dir, "store");
const common = ["--base", "zoo/base-s", "--tuned", tuned, "--probes", "task.accuracy", "--suite", "arithmetic", "--split", "id", "--n", "12", "--base-format", "raw", "--tuned-format", "raw", "--no-same-format"];

describe("ftledger sweep", () => {
  it("audits θ₀ + α·Δ at each dose, prints the dose table and keeps JSON and HTML", () => {
    const r = ftledger("sweep", ...common, "--alpha", "0,0.5,1", "--store", store, "--report", join(dir, "sweep.html"));
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/writing θ₀ \+ 0\.5·Δ to /);
    expect(r.stderr).not.toMatch(/writing θ₀ \+ (0|1)·Δ/); // α = 0 and 1 are the two models themselves
    expect(r.stdout).toMatch(/dose-response: θ₀ \+ α·Δ, zoo\/base-s → /);
    expect(r.stdout).toMatch(/α=0\s+α=0\.5\s+α=1/);
    expect(r.stdout).toMatch(/task\.accuracy\.accuracy@arithmetic/);
    expect(r.stdout).toMatch(/^keep: /m);
    expect(existsSync(join(dir, "sweep.html"))).toBe(true);
  });

  it("reuses the dose models and the stored records the second time", async () => {
    const r = ftledger("sweep", ...common, "--alpha", "0,0.5,1", "--store", store, "--json");
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/writing θ₀/);
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe("ftledger.sweep/1");
    expect(j.alphas).toEqual([0, 0.5, 1]);
    const acc = j.curves.find((c: { key: string }) => c.key === "task.accuracy.accuracy@arithmetic");
    expect(acc.points.map((p: { alpha: number }) => p.alpha)).toEqual([0, 0.5, 1]);
    expect(acc.points[0].delta).toBe(0); // α = 0 is the base itself
    const html = await readFile(join(store, "reports", `${j.run_id}-sweep.html`), "utf8");
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script[^>]*src=|https?:\/\//);
  });

  it("resumes a sweep killed once its dose models are written (the audit may have begun)", async () => {
    const s2 = join(dir, "store2");
    const args = ["--import", "tsx", join(import.meta.dirname, "..", "..", "src", "cli", "main.ts"), "sweep", ...common, "--alpha", "0.25,0.75", "--store", s2, "--quiet"];
    const child = spawn(process.execPath, args, { cwd: join(import.meta.dirname, "..", ".."), stdio: "ignore" });
    // kill once both dose folders exist and the audit has begun
    for (let i = 0; i < 600; i++) {
      const folders = existsSync(join(s2, "sweep")) ? await readdir(join(s2, "sweep")) : [];
      const doses = folders.length ? (await readdir(join(s2, "sweep", folders[0]))).filter((f) => /^alpha-[\d.]+$/.test(f)) : [];
      if (doses.length === 2 && existsSync(join(s2, "runs.sqlite"))) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    child.kill("SIGKILL");
    await new Promise((res) => child.on("exit", res));
    const r = ftledger("sweep", ...common, "--alpha", "0.25,0.75", "--store", s2);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/writing θ₀/);
    expect(r.stdout).toMatch(/α=0\.25\s+α=0\.75/);
  });

  it("refuses bad doses and reverts with exit 2", () => {
    expect(ftledger("sweep", ...common, "--alpha", "0,x").stderr).toMatch(/--alpha must be a comma-separated list of numbers/);
    const rev = ftledger("sweep", ...common, "--revert", "ffn", "--store", store);
    expect(rev.code).toBe(2);
    expect(rev.stderr).toMatch(/--revert ffn: expected attn, mlp, norm, embed or layers:A-B/);
    const missing = ftledger("sweep", "--base", "zoo/base-s", "--tuned", join(dir, "nope"), "--store", store);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope: no such folder/);
  });
});
