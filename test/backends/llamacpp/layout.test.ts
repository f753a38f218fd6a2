/** The backend's default layout (src/backends/llamacpp/layout.ts): contexts and threads. */
import { describe, expect, it } from "vitest";
import type { GgufValue } from "../../../src/formats/index.js";
import { defaultParallel, defaultThreads, kvCacheBytes, KV_BUDGET_BYTES } from "../../../src/backends/llamacpp/layout.js";

const u32 = (value: number): GgufValue => ({ type: "uint32", value });
const meta = (entries: Record<string, number>): Map<string, GgufValue> =>
  new Map<string, GgufValue>([["general.architecture", { type: "string", value: "llama" }], ...Object.entries(entries).map(([k, v]): [string, GgufValue] => [k, u32(v)])]);

describe("llamacpp layout", () => {
  it("K/V bytes per context: layers × tokens × (K + V widths) × 4 (F32) or 2 (F16)", () => {
    // Llama-2-7B: 32 layers, 4096 wide, 32 heads, no GQA; 2048 tokens → 2 GiB in F32
    const llama2 = meta({ "llama.block_count": 32, "llama.embedding_length": 4096, "llama.attention.head_count": 32 });
    expect(kvCacheBytes(llama2, 2048, true)).toBe(2 * 2 ** 30);
    expect(kvCacheBytes(llama2, 2048, false)).toBe(2 ** 30);
    // Mistral-7B: 8 K/V heads of 128 → a quarter of that
    const mistral = meta({ "llama.block_count": 32, "llama.embedding_length": 4096, "llama.attention.head_count": 32, "llama.attention.head_count_kv": 8 });
    expect(kvCacheBytes(mistral, 2048, true)).toBe(2 ** 29);
  });

  it("4 contexts by default, fewer when their K/V caches would pass the budget, never none", () => {
    expect(defaultParallel(1 << 20)).toBe(4);
    expect(defaultParallel(KV_BUDGET_BYTES / 4)).toBe(4);
    expect(defaultParallel(KV_BUDGET_BYTES / 3)).toBe(3);
    expect(defaultParallel(KV_BUDGET_BYTES)).toBe(1);
    expect(defaultParallel(10 * KV_BUDGET_BYTES)).toBe(1);
  });

  it("threads: the cores shared among the contexts, at least one each", () => {
    expect(defaultThreads(2, 4)).toBe(1);
    expect(defaultThreads(16, 4)).toBe(4);
    expect(defaultThreads(6, 4)).toBe(1);
    expect(defaultThreads(1, 1)).toBe(1);
  });
});
