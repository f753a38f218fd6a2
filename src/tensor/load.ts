import type { BackendName, Kernels } from "./kernels.js";
import { createTsKernels } from "./ts.js";

export type KernelChoice = BackendName | "auto";

export interface LoadedKernels {
  kernels: Kernels;
  /** Backends tried before the chosen one, with the reason each was skipped. */
  skipped: { name: BackendName; reason: string }[];
}

/** Result of trying to start an optional backend. */
export type BackendAttempt = { ok: true; kernels: Kernels } | { ok: false; reason: string };

const cache = new Map<BackendName, Promise<BackendAttempt>>();

function attempt(name: BackendName): Promise<BackendAttempt> {
  let p = cache.get(name);
  if (!p) {
    p = start(name);
    cache.set(name, p);
  }
  return p;
}

async function start(name: BackendName): Promise<BackendAttempt> {
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
 * Load a kernel backend. An explicit choice that cannot start is an error that says
 * why; "auto" (or the FTLEDGER_KERNELS environment variable) falls back in the order
 * native → wasm → ts.
 */
export async function loadKernels(choice: KernelChoice = envChoice()): Promise<LoadedKernels> {
  if (choice !== "auto") {
    const r = await attempt(choice);
    if (!r.ok) throw new Error(`kernel backend "${choice}" is not available: ${r.reason}`);
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
  throw new Error(`FTLEDGER_KERNELS="${v}" is not a kernel backend; use one of auto, native, wasm, ts.`);
}
