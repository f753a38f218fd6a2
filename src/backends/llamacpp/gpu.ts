/**
 * The compute device llama.cpp runs a GGUF model on: `--gpu off|auto|cuda|vulkan`, mapped
 * onto node-llama-cpp 3.21.1's `getLlama({ gpu: false | "auto" | "cuda" | "vulkan" })`
 * with its prebuilt binaries only (never built from source, never downloaded at run time:
 * the CUDA and Vulkan binaries are the optional npm packages @node-llama-cpp/linux-x64-cuda
 * and @node-llama-cpp/linux-x64-vulkan, which a plain `npm ci` installs).
 *
 * - off (the default, as before the option existed): the CPU. Reproducible log-probs
 *   (./model.ts measures them against an independent forward pass) and the same model ids,
 *   run ids and cache keys as before.
 * - auto: node-llama-cpp's choice: the first of CUDA, Vulkan whose binary starts here, else the CPU.
 * - cuda, vulkan: that device or an error (GgufGpuError) naming it and what to do; never a
 *   silent fall back to the CPU.
 * The device is part of a model's identity when it is a GPU (./model.ts): a GPU's kernels
 * round differently, so its results are not the CPU's records.
 */
import { createRequire } from "node:module";
import { getLlama, LlamaLogLevel, type Llama } from "node-llama-cpp";

export const GGUF_GPUS = ["off", "auto", "cuda", "vulkan"] as const;
export type GgufGpu = (typeof GGUF_GPUS)[number];
/** off: the CPU, deterministic and what every run before this option used. */
export const DEFAULT_GGUF_GPU: GgufGpu = "off";

/** `--gpu` text as a device choice; the error lists the choices. */
export function parseGgufGpu(text: string): { ok: true; value: GgufGpu } | { ok: false; error: string } {
  const t = text.trim().toLowerCase();
  if ((GGUF_GPUS as readonly string[]).includes(t)) return { ok: true, value: t as GgufGpu };
  return { ok: false, error: `--gpu "${text}" is not a device; use one of ${GGUF_GPUS.join(", ")} (off = the CPU, the default)` };
}

/** getLlama's options for `gpu`: prebuilt binaries only, quiet. */
export function llamaOptions(gpu: GgufGpu) {
  return { gpu: gpu === "off" ? (false as const) : gpu, build: "never" as const, skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error };
}

export type LlamaOptions = ReturnType<typeof llamaOptions>;
/** node-llama-cpp's getLlama, or a stand-in (tests). */
export type GetLlama = (opts: LlamaOptions) => Promise<Llama>;

/** An explicit GPU (`--gpu cuda|vulkan`) that llama.cpp cannot use on this machine. */
export class GgufGpuError extends Error {
  constructor(readonly gpu: GgufGpu, readonly reason: string, installed: boolean | null = null) {
    super(gpuUnavailableMessage(gpu, reason, installed));
    this.name = "GgufGpuError";
  }
}

const DEVICE_NAME: Record<GgufGpu, string> = { off: "the CPU", auto: "any device", cuda: "CUDA", vulkan: "Vulkan" };

/** node-llama-cpp's npm package of the prebuilt binary for `gpu` on this platform. */
export function gpuPackage(gpu: GgufGpu): string {
  return `@node-llama-cpp/${process.platform === "win32" ? "win" : process.platform === "darwin" ? "mac" : "linux"}-${process.arch}-${gpu}`;
}

/** Whether `pkg` is installed where node-llama-cpp looks for it (an empty stand-in package does not count). */
function installed(pkg: string): boolean {
  try {
    createRequire(createRequire(import.meta.url).resolve("node-llama-cpp")).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** `installed`: whether the binary's package is there (null: not known), which decides what to do next. */
export function gpuUnavailableMessage(gpu: GgufGpu, cause: string, installed: boolean | null = null): string {
  const pkg = gpuPackage(gpu);
  const driver = `a ${DEVICE_NAME[gpu]} GPU with its driver${gpu === "vulkan" ? " (and the Vulkan loader, libvulkan)" : ""}`;
  const needs =
    installed === false ? `node-llama-cpp's prebuilt ${DEVICE_NAME[gpu]} binary (${pkg}) is not installed: a plain \`npm ci\` installs it (\`--omit=optional\` leaves it out); it also needs ${driver}.`
    : installed === true ? `Its prebuilt binary (${pkg}) is installed but does not start here: it needs ${driver}.`
    : `It needs ${driver}, and node-llama-cpp's prebuilt ${DEVICE_NAME[gpu]} binary (${pkg}), which a plain \`npm ci\` installs (not \`--omit=optional\`).`;
  return `--gpu ${gpu}: llama.cpp cannot run on ${DEVICE_NAME[gpu]} on this machine (${cause}). ${needs} Use --gpu auto (the best device found, else the CPU) or --gpu off (the CPU).`;
}

/** node-llama-cpp's CPU build for this platform (3.21.1: on Apple silicon there is only the Metal build). */
export function cpuPackage(): string {
  if (process.platform === "darwin") return process.arch === "arm64" ? "@node-llama-cpp/mac-arm64-metal" : "@node-llama-cpp/mac-x64";
  const os = process.platform === "win32" ? "win" : "linux";
  return `@node-llama-cpp/${os}-${process.arch === "arm" ? "armv7l" : process.arch}`;
}

/** `--gpu off|auto` found no llama.cpp build that starts: the CPU's package, and Apple silicon's one way. */
export function cpuUnavailableMessage(gpu: GgufGpu, cause: string): string {
  const mac = process.platform === "darwin" && process.arch === "arm64";
  return (
    `--gpu ${gpu}: llama.cpp cannot start on this machine (${cause}). It needs node-llama-cpp's prebuilt build for it (${cpuPackage()}), which \`npm ci\` installs; ` +
    (mac && gpu === "off" ? "on Apple silicon that build runs on Metal: use --gpu auto." : "run `npm ci` again if node_modules was copied from another machine.")
  );
}

/** One line: the error's own first line (node-llama-cpp's can be long); its NoBinaryFoundError has no message. */
function firstLine(e: unknown): string {
  const line = String((e as Error)?.message ?? e).split("\n")[0].trim();
  const name = String((e as Error)?.name ?? "");
  // node-llama-cpp 3.21.1's NoBinaryFoundError: name "Error", message "NoBinaryFoundError"
  if (line === "NoBinaryFoundError" || (name === "NoBinaryFoundError" && line === "")) return "no prebuilt llama.cpp binary for it starts here";
  return line || name || "unknown error";
}

/**
 * The llama.cpp binding for `gpu`. An explicit GPU that does not start, or that
 * node-llama-cpp replaced by another device, is a GgufGpuError; off or auto that start nothing
 * say which package was missing.
 */
export async function startLlama(gpu: GgufGpu, get: GetLlama = getLlama as GetLlama): Promise<Llama> {
  const explicit = gpu === "cuda" || gpu === "vulkan";
  let llama: Llama;
  try {
    llama = await get(llamaOptions(gpu));
  } catch (e) {
    if (explicit) throw new GgufGpuError(gpu, firstLine(e), installed(gpuPackage(gpu)));
    throw new Error(cpuUnavailableMessage(gpu, firstLine(e)), { cause: e });
  }
  if (explicit && llama.gpu !== gpu) {
    const got = llama.gpu === false ? "the CPU" : String(llama.gpu);
    await llama.dispose();
    throw new GgufGpuError(gpu, `node-llama-cpp started ${got} instead`, installed(gpuPackage(gpu)));
  }
  return llama;
}

/**
 * The device as said in the audit header and its JSON: "cpu (llama.cpp, 2 threads)",
 * "cpu (llama.cpp, 4 contexts × 1 thread)", "cuda: NVIDIA H200 (llama.cpp)". `threads` is per
 * context, `contexts` the model's parallel contexts (./layout.ts).
 */
export async function describeLlamaDevice(llama: Pick<Llama, "gpu" | "getGpuDeviceNames">, threads: number, contexts = 1, directScoring = false): Promise<string> {
  const t = `${threads} thread${threads === 1 ? "" : "s"}`;
  if (llama.gpu === false) return `cpu (llama.cpp, ${contexts === 1 ? t : `${contexts} contexts × ${t}`}${directScoring ? ", direct scoring" : ""})`;
  let names: string[] = [];
  try {
    names = await llama.getGpuDeviceNames();
  } catch {
    // a name is a nicety: the device type is what matters
  }
  return `${llama.gpu}: ${names.length > 0 ? names.join(", ") : "unnamed device"} (llama.cpp)`;
}
