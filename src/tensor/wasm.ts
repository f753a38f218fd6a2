import type { BackendAttempt } from "./load.js";

/** Placeholder until the WebAssembly backend lands: reports itself unavailable. */
export async function createWasmKernels(): Promise<BackendAttempt> {
  return { ok: false, reason: "the wasm kernels are not built yet" };
}
