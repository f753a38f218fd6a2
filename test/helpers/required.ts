/**
 * Which backends this run must have. CI sets FTLEDGER_REQUIRE_NATIVE=1 when it installed
 * OpenBLAS, so a broken native build fails the suite instead of passing as "unavailable";
 * the wasm module is built by every `npm ci` and is always required. FTLEDGER_REQUIRE_LLAMA_DIRECT=1
 * does the same for the gguf backend's direct scorer (native/llama, scripts/build-llama.mjs).
 */
export function mustStart(name: string): boolean {
  if (name === "llama-direct") return process.env.FTLEDGER_REQUIRE_LLAMA_DIRECT === "1";
  return name === "ts" || name === "wasm" || (name === "native" && process.env.FTLEDGER_REQUIRE_NATIVE === "1");
}
