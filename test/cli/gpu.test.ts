/**
 * `--gpu` on the commands that open gguf: models (src/cli/gpu-option.ts): a bad value is a
 * usage error listing the devices (flag and audit config key alike), and it reaches the gguf
 * backend: `--gpu vulkan` is that GPU or the clear error naming it and what to do.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exportGguf, ZOO_DIR } from "../../src/formats/index.js";
import { tempDir, unwrap } from "../formats/helpers.js";
import { ftledger } from "./run-cli.js";

const dir = await tempDir("cli-gpu");
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const PAIR = ["--base", "builtin:zoo/base-s", "--tuned", "builtin:zoo/base-s"];

describe("--gpu", () => {
  it("a value that is not a device is a usage error listing them, on audit, check and serve", () => {
    for (const args of [["audit", ...PAIR], ["check", "builtin:zoo/base-s", "builtin:zoo/base-s"], ["serve", "builtin:zoo/base-s"]]) {
      const r = ftledger(...args, "--gpu", "metal");
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toContain('--gpu "metal" is not a device; use one of off, auto, cuda, vulkan (off = the CPU, the default)');
    }
  });

  it("audit's config key gpu: is checked the same way", async () => {
    const cfg = join(dir, "audit.yaml");
    await writeFile(cfg, "base: builtin:zoo/base-s\ntuned: [builtin:zoo/base-s]\ngpu: metal\n");
    const r = ftledger("audit", "--config", cfg, "--store", join(dir, "store"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ftledger audit: --config .*audit\.yaml: gpu: .*"off".*"auto".*"cuda".*"vulkan"/);
  });

  it("reaches the gguf backend: vulkan is that GPU or the clear error, never a quiet CPU", async () => {
    const gguf = join(dir, "s.gguf");
    unwrap(await exportGguf(join(ZOO_DIR, "base-s"), gguf, { dtype: "f32" }));
    const r = ftledger("check", "builtin:zoo/base-s", `gguf:${gguf}`, "--gpu", "vulkan", "--suite", "reference", "--n", "1", "--max-tokens", "4", "--quiet", "--json");
    if (r.code === 2) {
      expect(r.stderr).toMatch(/^ftledger check: gguf:.*s\.gguf: --gpu vulkan: llama\.cpp cannot run on Vulkan on this machine \(.+\)\. .*Use --gpu auto \(the best device found, else the CPU\) or --gpu off \(the CPU\)\.\n$/s);
    } else {
      // a machine with Vulkan: the GPU's results are a model of their own id
      expect(r.stdout).toMatch(/\+gpu:vulkan/);
    }
  }, 120_000);
});
