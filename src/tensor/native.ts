import type { BackendAttempt } from "./load.js";

/** Placeholder until the OpenBLAS addon lands: reports itself unavailable. */
export async function createNativeKernels(): Promise<BackendAttempt> {
  return { ok: false, reason: "the native addon is not built yet" };
}
