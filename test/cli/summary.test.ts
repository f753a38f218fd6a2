/** `ftledger lab summary RUN` reads metrics.jsonl: loss for any run; reward rise, trend, formats and KL for grpo. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ftledger } from "./run-cli.js";

describe("ftledger lab summary", () => {
  it("reports a grpo run's reward rise with its CI and trend, the format shares and the final KL", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-summary-"));
    const lines: string[] = [];
    for (let r = 0; r < 20; r++) {
      for (let u = 0; u < 2; u++) {
        const reward = r < 10 ? 0.2 + 0.01 * (r % 3) : 0.6 + 0.01 * (r % 3);
        const formats = { natural: 0.5 + 0.02 * r, code: 0.3 - 0.01 * r, terse: 0.2 - 0.01 * r, "answer-only": 0, unknown: 0 };
        lines.push(JSON.stringify({ step: 2 * r + u + 1, loss: 0.01, lr: 1e-4, gradNorm: 0.1, tokens: 100, ms: 1500, rollout: r, reward, kl: 0.001 * r, formats }));
      }
    }
    lines.push('{"step": 41, "loss": 0.0'); // cut short by a kill
    await writeFile(join(dir, "metrics.jsonl"), lines.join("\n"));
    const r = ftledger("lab", "summary", dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/40 updates \(step 1–40\), 1\.0 min of update time/);
    expect(r.stdout).toMatch(/rollouts 20; mean reward 0\.4\d\d over the run/);
    expect(r.stdout).toMatch(/first 5 → last 5 rollouts {2}0\.20\d → 0\.60\d, \+0\.40\d \[\+0\.\d+, \+0\.\d+\]/);
    expect(r.stdout).toMatch(/one-sided permutation p = 0\.000\d+/);
    expect(r.stdout).toMatch(/natural 54\.0% → 84\.0%/);
    expect(r.stdout).toMatch(/KL to the reference at the last update {2}0\.0190/);
  });

  it("reports loss only for a supervised run, and exits 2 naming a folder without metrics", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-summary-"));
    await writeFile(join(dir, "metrics.jsonl"), [1, 2, 3].map((s) => JSON.stringify({ step: s, loss: 3 - s / 2, ms: 100 })).join("\n") + "\n");
    const r = ftledger("lab", "summary", dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/loss \(mean of the first \/ last 10 updates\) {2}2\.000 → 2\.000/);
    expect(r.stdout).not.toMatch(/reward/);
    const missing = ftledger("lab", "summary", join(dir, "nope"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/metrics\.jsonl: cannot read it .*give a lab run folder/);
  });
});
