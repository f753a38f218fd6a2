/**
 * The device in the audit header and its JSON (src/audit/device.ts, manifest.models[].device):
 * a builtin arm says its kernels, a gguf arm llama.cpp on the CPU with its threads; the
 * device is display only (the run id ignores it, so runs made before it keep their ids); the
 * pre-flight warns when a GPU faces the CPU.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deviceFinding, deviceLine, runIdOf, type AuditModel, type Manifest } from "../../src/audit/index.js";
import type { LanguageModel } from "../../src/backends/index.js";
import { exportGguf, ZOO_DIR } from "../../src/formats/index.js";
import { tempDir, unwrap } from "../formats/helpers.js";
import { ftledger } from "../cli/run-cli.js";

const dir = await tempDir("audit-device");
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const model = (device?: string): AuditModel => ({ spec: "x", format: { kind: "raw" }, model: { id: "m", ...(device ? { device } : {}) } as unknown as LanguageModel });

describe("the device line", () => {
  it("one device for all, or each model's; a backend that does not say is named as such", () => {
    expect(deviceLine(model("cpu (native kernels)"), [model("cpu (native kernels)")])).toBe("device: cpu (native kernels)");
    expect(deviceLine(model("cpu (native kernels)"), [model("cuda: NVIDIA H200 (llama.cpp)")])).toBe("devices: base cpu (native kernels); tuned cuda: NVIDIA H200 (llama.cpp)");
    expect(deviceLine(model("a"), [model("b"), model()])).toBe("devices: base a; tuned1 b; tuned2 not reported by its backend");
    // AuditModel.device (the CLI's, from under the cache wrapper) wins over the model's own
    expect(deviceLine({ ...model("a"), device: "remote (1 endpoint)" }, [])).toBe("device: remote (1 endpoint)");
  });

  it("the pre-flight warns when one model runs on a GPU and the other does not", () => {
    const gpu = { ...model("cuda: NVIDIA H200 (llama.cpp)"), spec: "gguf:t.gguf" };
    const f = deviceFinding(model("cpu (native kernels)"), gpu);
    expect(f).toEqual({
      code: "device_differs", severity: "warn", model: "gguf:t.gguf",
      message: "gguf:t.gguf runs on cuda: NVIDIA H200 (llama.cpp) but the base on cpu (native kernels): their kernels round differently, so a small change in a likelihood metric can be the device's, not the fine-tune's. Run both on one device (--gpu off puts gguf: models on the CPU).",
    });
    expect(deviceFinding(model("vulkan: X (llama.cpp)"), gpu)?.code).toBe("device_differs");
    // two CPU backends, a server, or a backend that does not say: nothing to warn about
    expect(deviceFinding(model("cpu (native kernels)"), model("cpu (llama.cpp, 2 threads)"))).toBeNull();
    expect(deviceFinding(model("remote (1 endpoint)"), gpu)).toBeNull();
    expect(deviceFinding(model(), gpu)).toBeNull();
  });

  it("the run id does not depend on the device", () => {
    const m: Manifest = {
      schema: "ftledger.audit/1", settings: { seed: 1, samples: 1, maxTokens: 1, batchSize: 1, sameFormat: true },
      models: [{ role: "base", index: 0, spec: "a", id: "ia", format: "raw" }], arms: [], probes: [], items: { count: 0, sha256: "", sources: [] },
    };
    const withDevice: Manifest = { ...m, models: [{ ...m.models[0], device: "cuda: X (llama.cpp)" }] };
    expect(runIdOf(withDevice)).toBe(runIdOf(m));
  });
});

describe("ftledger audit: builtin against gguf", () => {
  it("says each arm's device on stderr, in the JSON manifest and in the Markdown", async () => {
    const gguf = join(dir, "s.gguf");
    unwrap(await exportGguf(join(ZOO_DIR, "base-s"), gguf, { dtype: "f32" }));
    const r = ftledger("audit", "--base", "builtin:zoo/base-s", "--tuned", `gguf:${gguf}`, "--no-preflight", "--probes", "task.accuracy", "--suite", "arithmetic", "--n", "2",
      "--samples", "1", "--max-tokens", "8", "--store", join(dir, "store"), "--markdown", join(dir, "ledger.md"), "--json");
    expect(r.code, r.stderr).toBe(0);
    const builtin = /cpu \((native|wasm|ts) kernels\)/;
    const llama = /cpu \(llama\.cpp, (\d+ contexts × )?\d+ threads?(, direct scoring)?\)/;
    const line = r.stderr.split("\n").find((l) => l.startsWith("devices: "));
    expect(line).toMatch(new RegExp(`^devices: base ${builtin.source}; tuned ${llama.source}$`));
    const json = JSON.parse(r.stdout) as { manifest: { models: { role: string; device?: string }[] } };
    expect(json.manifest.models.map((m) => m.role)).toEqual(["base", "tuned"]);
    expect(json.manifest.models[0].device).toMatch(new RegExp(`^${builtin.source}$`));
    expect(json.manifest.models[1].device).toMatch(new RegExp(`^${llama.source}$`));
    // and in the Markdown ledger (a pull-request comment)
    const md = await readFile(join(dir, "ledger.md"), "utf8");
    expect(md).toMatch(new RegExp(`^Devices: base ${builtin.source}; tuned #1 ${llama.source}\\.$`, "m"));
  }, 120_000);
});
