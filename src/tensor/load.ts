import type { Kernels, KernelsAttempt, KernelsName } from "./kernels.js";
import { createTsKernels } from "./ts.js";

export type KernelChoice = KernelsName | "auto";

export interface LoadedKernels {
  kernels: Kernels;
  /** Kernel sets tried before the chosen one, with the reason each was skipped. */
  skipped: { name: KernelsName; reason: string }[];
}

const cache = new Map<KernelsName, Promise<KernelsAttempt>>();

function attempt(name: KernelsName): Promise<KernelsAttempt> {
  let p = cache.get(name);
  if (!p) {
    p = start(name);
    cache.set(name, p);
  }
  return p;
}

async function start(name: KernelsName): Promise<KernelsAttempt> {
  switch (name) {
    case "ts":
      return { ok: true, kernels: createTsKernels() };
    case "wasm":
      return (await import("./wasm.js")).createWasmKernels();
    case "native":
      return (await import("./native.js")).createNativeKernels();
  }
}

/**
 * Load a kernel set. An explicit choice that cannot start is an error that says
 * why; "auto" (or the FTLEDGER_KERNELS environment variable) falls back in the order
 * native → wasm → ts.
 */
export async function loadKernels(choice: KernelChoice = envChoice()): Promise<LoadedKernels> {
  if (choice !== "auto") {
    const r = await attempt(choice);
    if (!r.ok) throw new Error(`kernels "${choice}" are not available: ${r.reason}`);
    return { kernels: r.kernels, skipped: [] };
  }
  const skipped: LoadedKernels["skipped"] = [];
  for (const name of ["native", "wasm"] as const) {
    const r = await attempt(name);
    if (r.ok) return { kernels: r.kernels, skipped };
    skipped.push({ name, reason: r.reason });
  }
  return { kernels: createTsKernels(), skipped };
}

function envChoice(): KernelChoice {
  const v = process.env.FTLEDGER_KERNELS;
  if (v === undefined || v === "") return "auto";
  if (v === "auto" || v === "ts" || v === "wasm" || v === "native") return v;
  throw new Error(`FTLEDGER_KERNELS="${v}" is not a kernel set; use one of auto, native, wasm, ts.`);
}
