/** `ftledger diff` and `merge` on the command line: output, JSON, the HTML page, exit codes. */
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { saveDamagedCopy } from "../helpers/damaged-model.js";
import { ftledger } from "./run-cli.js";

const dir = await mkdtemp(join(tmpdir(), "ftledger-weights-cli-"));
const tuned = await saveDamagedCopy("base-s", join(dir, "damaged"), { scale: 0.05, seed: 2 });

describe("ftledger diff", () => {
  it("prints the totals, the layer × module table and the largest changes", () => {
    const r = ftledger("diff", "zoo/base-s", `builtin:${tuned}`, "--quiet");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/zoo\/base-s → builtin:.*damaged\s+\(\d+ tensors, [\d,]+ parameters\)/);
    expect(r.stdout).toMatch(/relative change ‖Δ‖\/‖θ₀‖ by layer × module/);
    // uniform noise of ±5%·|w|: every tensor moves by about 0.05/√3 ≈ 2.9% of its norm
    expect(r.stdout).toMatch(/total: ‖Δ‖ [\d.e+-]+ = 2\.\d+% of ‖θ₀‖/);
    expect(r.stdout).toMatch(/largest relative changes:/);
  });

  it("writes JSON and an HTML page with the heat map", async () => {
    const r = ftledger("diff", "zoo/base-s", tuned, tuned, "--json", "--rank", "none", "--report", join(dir, "d.html"), "--quiet");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe("ftledger.weights-diff/1");
    expect(j.tuned).toHaveLength(2);
    expect(j.overlap.overall[0][1]).toBe(1); // a model overlaps itself completely
    const html = await readFile(join(dir, "d.html"), "utf8");
    expect(html).toMatch(/relative change ‖Δ‖\/‖θ₀‖ \(%\) by layer × module/);
    expect(html).toMatch(/core regions shared between fine-tunes/);
  });

  it("exits 2 with the reason for a missing model and a bad option", () => {
    const r = ftledger("diff", "zoo/base-s", join(dir, "nope"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope: no such folder/);
    expect(ftledger("diff", "zoo/base-s", tuned, "--core", "2").stderr).toMatch(/--core must be in \(0, 1\]/);
  });
});

describe("ftledger merge", () => {
  it("writes the merged folder and says how to audit it", async () => {
    const cfg = join(dir, "slerp.yaml");
    await (await import("node:fs/promises")).writeFile(cfg, `merge_method: slerp\nbase_model: zoo/base-s\nmodels:\n  - model: ${tuned}\nparameters: { t: 0.5 }\n`);
    const r = ftledger("merge", cfg, "--out", join(dir, "merged"), "--quiet");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*merged \(slerp, \d+ tensors: model\.safetensors\)/);
    expect(r.stdout).toMatch(/audit it: ftledger audit --base builtin:zoo\/base-s --tuned builtin:.*merged/);
    expect(existsSync(join(dir, "merged", "tokenizer.json"))).toBe(true);
    const gguf = ftledger("export", "gguf", join(dir, "merged"), join(dir, "merged.gguf"));
    expect(gguf.code).toBe(0); // the merged folder converts for llama.cpp
    const help = ftledger("merge", "--help");
    expect(help.stdout).toMatch(/Example config/);
  });
});
