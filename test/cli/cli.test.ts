/**
 * The installed command line, end to end: `bin/ftledger.js` over the compiled dist/
 * (`npm test` builds first). Exit codes: 0 ok, 1 a check failed, 2 bad input or usage.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const bin = join(root, "bin", "ftledger.js");

function ftledger(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: root, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("ftledger CLI", () => {
  it("is built (npm run build)", () => {
    expect(existsSync(join(root, "dist", "cli", "main.js")), "dist/cli/main.js is missing: run `npm run build`").toBe(true);
  });

  it("demo fine-tunes the zoo's medium model, audits base against fine-tune, and writes the report", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-demo-"));
    const r = ftledger("demo", "--steps", "4", "--n", "4", "--samples", "2", "--out", join(dir, "demo"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kernels: (native|wasm|ts)/);
    expect(r.stdout).toMatch(/1\. fine-tune zoo\/base-m: sft on harder arithmetic \(2–4 steps, operands ≤ 49\), worked solutions in the "code" format, 4 steps/);
    expect(r.stdout).toMatch(/loss \d\.\d+ → \d\.\d+ in \d+ s/);
    expect(r.stdout).toMatch(/2\. audit zoo\/base-m against the fine-tune on 4 held-out items per suite/);
    expect(r.stdout).toMatch(/task\.accuracy · accuracy @arithmetic \[raw→chat\] +proxy/);
    expect(r.stdout).toMatch(/task\.accuracy · accuracy @arithmetic \[both raw\] +capab\./);
    expect(r.stdout).toMatch(/knowledge\.retention · closed-book \[raw→chat\]/);
    expect(r.stdout).toContain(`the report: ${join(dir, "demo", "report.html")}`);
    expect(existsSync(join(dir, "demo", "report.html"))).toBe(true);
    // a second run reuses the fine-tune and the stored records
    const again = ftledger("demo", "--steps", "4", "--n", "4", "--samples", "2", "--out", join(dir, "demo"));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/reusing the finished fine-tune/);
    expect(again.stdout).toMatch(/records: 0 computed now/);
    expect(again.stdout).toMatch(/NOTE: one fine-tuning seed\. The verdicts above are about this fine-tune/);
    // two seeds: the second fine-tune is trained, the first reused, and the audit pools them
    const two = ftledger("demo", "--steps", "4", "--n", "4", "--samples", "2", "--seeds", "2", "--out", join(dir, "demo"));
    expect(two.code, two.stderr).toBe(0);
    expect(two.stdout).toMatch(/seed 2\) → .*sft-4-seed2/);
    expect(two.stdout).toMatch(/2\. audit zoo\/base-m against the fine-tunes \(2 fine-tuning seeds, pooled\)/);
    expect(two.stdout).toMatch(/^ledger over 2 seeds: /m);
    expect(two.stdout).not.toMatch(/NOTE: one fine-tuning seed/);
  }, 240_000);

  it("demo --base runs on the zoo's byte-level BPE model, and names the zoo models for a wrong one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-demo-bpe-"));
    const r = ftledger("demo", "--base", "base-m-bpe", "--steps", "3", "--n", "3", "--samples", "2", "--out", join(dir, "demo"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1\. fine-tune zoo\/base-m-bpe: .* 3 steps \(seed 1\) → .*base-m-bpe-sft-3-seed1/);
    expect(r.stdout).toMatch(/2\. audit zoo\/base-m-bpe against the fine-tune/);
    expect(existsSync(join(dir, "demo", "report.html"))).toBe(true);
    const bad = ftledger("demo", "--base", "base-xl", "--out", join(dir, "demo"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--base "base-xl" is not a zoo model; use one of base-s, base-m, base-l, base-m-bpe');
  }, 240_000);

  it("lab train → lab sample → export gguf", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-cli-"));
    const t = ftledger("lab", "train", "toy", "--out", join(dir, "run"), "--steps", "12", "--every", "5");
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/checkpoint: .*step-000012/);
    const s = ftledger("lab", "sample", join(dir, "run"), "-n", "2", "--max-tokens", "10", "--temperature", "0");
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain("step-000012");
    const e = ftledger("export", "gguf", join(dir, "run", "checkpoints", "step-000012"), join(dir, "m.gguf"), "--dtype", "f16");
    expect(e.code, e.stderr).toBe(0);
    expect(existsSync(join(dir, "m.gguf"))).toBe(true);
  });

  it("lab train reads a recipe --config, names a bad field, and resumes with the config it recorded", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-config-"));
    const cfg = { model: { dim: 32, nLayers: 1, ffnDim: 64, contextLength: 64 }, train: { steps: 6, batchSize: 2, warmupSteps: 1 }, corpus: { documents: 200 } };
    await writeFile(join(dir, "pre.json"), JSON.stringify(cfg));
    const t = ftledger("lab", "train", "pretrain", "--out", join(dir, "run"), "--config", join(dir, "pre.json"), "--every", "4");
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/step-000006/);
    // resuming a finished run without --config uses run.json's recorded config: nothing left to do
    const again = ftledger("lab", "train", "pretrain", "--out", join(dir, "run"), "--resume");
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/resumed at step 6|step-000006/);
    await writeFile(join(dir, "bad.json"), JSON.stringify({ model: { dim: 100, nHeads: 6 } }));
    const bad = ftledger("lab", "train", "pretrain", "--out", join(dir, "bad"), "--config", join(dir, "bad.json"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/model\.dim: must be divisible by model\.nHeads/);
  });

  it("serve answers /v1/models and stops cleanly on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-serve-cli-"));
    expect(ftledger("lab", "train", "toy", "--out", join(dir, "run"), "--steps", "3").code).toBe(0);
    const child = spawn(process.execPath, [bin, "serve", `builtin:${join(dir, "run")}`, "--port", "0", "--name", "toy"], { cwd: root });
    let out = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /at (http:\/\/\S+\/v1)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`serve exited early with ${code}: ${out}`)));
    });
    const models = (await (await fetch(url + "/models")).json()) as { data: { id: string }[] };
    expect(models.data[0].id).toBe("toy");
    const code = await new Promise<number | null>((resolve) => {
      child.removeAllListeners("exit");
      child.on("exit", (c) => resolve(c));
      child.kill("SIGTERM");
    });
    expect(code).toBe(0);
    const bad = ftledger("serve", "nope:thing");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a model spec; use one of: builtin:PATH/);
  });

  it("bad input and usage exit with 2 and say what to do", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-bad-"));
    expect(ftledger("nope").code).toBe(2);
    const steps = ftledger("demo", "--steps", "zero");
    expect(steps.code).toBe(2);
    expect(steps.stderr).toMatch(/--steps must be an integer/);
    const recipe = ftledger("lab", "train", "nope", "--out", join(dir, "x"));
    expect(recipe.code).toBe(2);
    expect(recipe.stderr).toMatch(/unknown recipe "nope"; the recipes are: toy/);
    await mkdir(join(dir, "broken"));
    await writeFile(join(dir, "broken", "config.json"), "{ not json");
    const exp = ftledger("export", "gguf", join(dir, "broken"), join(dir, "o.gguf"));
    expect(exp.code).toBe(2);
    expect(exp.stderr).toContain(join(dir, "broken", "config.json"));
    expect(exp.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const dtype = ftledger("export", "gguf", join(dir, "broken"), join(dir, "o.gguf"), "--dtype", "q4");
    expect(dtype.code).toBe(2);
  });
});
