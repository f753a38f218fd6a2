/**
 * `--gpu` for gguf: models (src/backends/llamacpp/gpu.ts): the flag's values, their mapping
 * onto node-llama-cpp's getLlama({ gpu }), the clear error when an explicit GPU cannot start
 * (with a stand-in getLlama, so no GPU is needed), the device string, and on the real binding:
 * the default is still the CPU with the same model id, and `vulkan` is that GPU or the clear error.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Llama } from "node-llama-cpp";
import { describeLlamaDevice, GgufGpuError, gpuUnavailableMessage, parseGgufGpu, startLlama, type GetLlama, type GgufGpu } from "../../../src/backends/llamacpp/index.js";
import { ggufFileId, openGgufModel } from "../../../src/backends/index.js";
import { tempDir } from "../../formats/helpers.js";
import { engineModel, exportModel } from "./helpers.js";
import { directAddon } from "../../../src/backends/llamacpp/direct.js";

/** A stand-in binding that says it runs on `gpu`. */
function fakeLlama(gpu: Llama["gpu"], names: string[] = []): Llama & { disposed: boolean } {
  const f = { gpu, disposed: false, getGpuDeviceNames: async () => names, dispose: async () => void (f.disposed = true) };
  return f as unknown as Llama & { disposed: boolean };
}

describe("--gpu values", () => {
  it("accepts off, auto, cuda, vulkan (any case) and names the choices otherwise", () => {
    for (const v of ["off", "auto", "cuda", "vulkan", "CUDA"]) expect(parseGgufGpu(v)).toEqual({ ok: true, value: v.toLowerCase() });
    const bad = parseGgufGpu("metal");
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toBe('--gpu "metal" is not a device; use one of off, auto, cuda, vulkan (off = the CPU, the default)');
  });

  it("maps onto getLlama's gpu (off = false), prebuilt binaries only", async () => {
    const seen: unknown[] = [];
    const get = (gpu: Llama["gpu"]): GetLlama => async (o) => (seen.push(o), fakeLlama(gpu));
    await startLlama("off", get(false));
    await startLlama("auto", get(false));
    await startLlama("cuda", get("cuda"));
    await startLlama("vulkan", get("vulkan"));
    expect(seen.map((o) => (o as { gpu: unknown }).gpu)).toEqual([false, "auto", "cuda", "vulkan"]);
    for (const o of seen) expect(o).toMatchObject({ build: "never", skipDownload: true, progressLogs: false });
  });
});

describe("an explicit GPU that cannot start", () => {
  it("is a GgufGpuError naming the device and what to do, never a silent CPU", async () => {
    const noBinary: GetLlama = async () => {
      throw new Error("No binary found\n(long node-llama-cpp text)");
    };
    const err = await startLlama("cuda", noBinary).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GgufGpuError);
    const m = (err as Error).message;
    expect(m).toMatch(/^--gpu cuda: llama\.cpp cannot run on CUDA on this machine \(No binary found\)\./);
    expect(m).toMatch(/@node-llama-cpp\/\w+-\w+-cuda/);
    // node-llama-cpp 3.21.1's NoBinaryFoundError carries its name as its message: said in words
    const none = await startLlama("cuda", async () => {
      throw new Error("NoBinaryFoundError");
    }).catch((e: unknown) => e);
    expect((none as Error).message).toMatch(/^--gpu cuda: llama\.cpp cannot run on CUDA on this machine \(no prebuilt llama\.cpp binary for it starts here\)\./);
    expect(m).toMatch(/Use --gpu auto \(the best device found, else the CPU\) or --gpu off \(the CPU\)\.$/);
    // node-llama-cpp handing back another device is refused too, and that binding let go
    const cpu = fakeLlama(false);
    const swapped = await startLlama("vulkan", async () => cpu).catch((e: unknown) => e);
    expect((swapped as Error).message).toMatch(/^--gpu vulkan: llama\.cpp cannot run on Vulkan on this machine \(node-llama-cpp started the CPU instead\)/);
    expect(cpu.disposed).toBe(true);
  });

  it("auto and off that start nothing name the CPU build's package and what to do", async () => {
    const broken: GetLlama = async () => {
      throw new Error("NoBinaryFoundError");
    };
    for (const gpu of ["auto", "off"] as GgufGpu[]) {
      const e = await startLlama(gpu, broken).catch((x: unknown) => x);
      expect(e).not.toBeInstanceOf(GgufGpuError);
      expect((e as Error).message).toMatch(new RegExp(`^--gpu ${gpu}: llama\\.cpp cannot start on this machine \\(no prebuilt llama\\.cpp binary for it starts here\\)\\. It needs node-llama-cpp's prebuilt build for it \\(@node-llama-cpp/[\\w-]+\\), which \`npm ci\` installs; `));
    }
  });
});

describe("what to do next", () => {
  it("depends on whether the binary's package is installed", () => {
    expect(gpuUnavailableMessage("vulkan", "x", false)).toMatch(/\(x\)\. node-llama-cpp's prebuilt Vulkan binary \(@node-llama-cpp\/\w+-\w+-vulkan\) is not installed: a plain `npm ci` installs it \(`--omit=optional` leaves it out\); it also needs a Vulkan GPU with its driver/);
    expect(gpuUnavailableMessage("cuda", "x", true)).toMatch(/\(x\)\. Its prebuilt binary \(@node-llama-cpp\/\w+-\w+-cuda\) is installed but does not start here: it needs a CUDA GPU with its driver\. Use --gpu auto/);
  });
});

describe("the device string", () => {
  it("cpu with its threads, or the GPU type with its device names", async () => {
    expect(await describeLlamaDevice(fakeLlama(false), 2)).toBe("cpu (llama.cpp, 2 threads)");
    expect(await describeLlamaDevice(fakeLlama(false), 1)).toBe("cpu (llama.cpp, 1 thread)");
    expect(await describeLlamaDevice(fakeLlama(false), 1, 4)).toBe("cpu (llama.cpp, 4 contexts × 1 thread)");
    expect(await describeLlamaDevice(fakeLlama("cuda", ["NVIDIA H200"]), 2)).toBe("cuda: NVIDIA H200 (llama.cpp)");
  });
});

const dir = await tempDir("gguf-gpu");

describe("on the real binding", () => {
  const opened: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const m of opened) await m.close();
  });

  it("the default is the CPU, with the file's id unchanged; vulkan is that GPU or the clear error", async () => {
    const path = await exportModel(engineModel(3), dir, "gpu");
    const cpu = await openGgufModel(path, { parallel: 1, threads: 1 });
    opened.push(cpu);
    // the direct scorer (./direct.test.ts) says so where it is built
    expect(cpu.device).toBe(`cpu (llama.cpp, 1 thread${"addon" in directAddon() ? ", direct scoring" : ""})`);
    expect(cpu.id).toBe(await ggufFileId(path));
    const vk = await openGgufModel(path, { parallel: 1, threads: 1, gpu: "vulkan" }).catch((e: unknown) => e);
    if (vk instanceof Error) {
      expect(vk).toBeInstanceOf(GgufGpuError);
      expect(vk.message).toMatch(/^--gpu vulkan: llama\.cpp cannot run on Vulkan on this machine \(.+\)\. .*Use --gpu auto .* or --gpu off \(the CPU\)\.$/s);
      expect(vk.message).not.toContain(join(dir, "gpu.gguf")); // about the device, not the file
    } else {
      const m = vk as Awaited<ReturnType<typeof openGgufModel>>;
      opened.push(m);
      expect(m.device).toMatch(/^vulkan: /);
      expect(m.id).toBe(`${await ggufFileId(path)}+gpu:vulkan`);
    }
  }, 60_000);
});
