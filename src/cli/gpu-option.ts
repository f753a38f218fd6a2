/**
 * `--gpu off|auto|cuda|vulkan`: the device llama.cpp runs `gguf:` models on, for the commands
 * that open models (`audit`, `check`, `serve`), and audit's config key `gpu:`. The values and
 * their meaning are src/backends/llamacpp/gpu.ts's (node-llama-cpp's `getLlama({ gpu })`);
 * other specs ignore it (builtin: runs on the CPU's kernels, openai: wherever its server runs).
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import { DEFAULT_GGUF_GPU, GGUF_GPUS, parseGgufGpu, type GgufGpu } from "../backends/index.js";

/** flag (camelCase) → audit config key. */
export const GPU_FLAG_KEYS = { gpu: "gpu" } as const;

/** The audit config key, with the flag's values. */
export const gpuSettingsShape = {
  /** Default off (the CPU): reproducible log-probs, and the model ids, run ids and cache keys of every earlier run. */
  gpu: z.enum(GGUF_GPUS).optional(),
};

function parseGpuFlag(v: string): GgufGpu {
  const r = parseGgufGpu(v);
  if (!r.ok) throw new InvalidArgumentError(r.error);
  return r.value;
}

export function addGpuOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      "--gpu <device>",
      "gguf: models: the device llama.cpp runs them on: off (the CPU; reproducible, as every earlier run), auto (CUDA or Vulkan when one starts here, else the CPU), " +
        "cuda or vulkan (that GPU or an error; needs node-llama-cpp's prebuilt binary for it, which `npm ci` installs). A GPU becomes part of the model's id",
    )
      .argParser(parseGpuFlag)
      .default(DEFAULT_GGUF_GPU),
  );
}
