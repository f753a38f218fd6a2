/**
 * How many llama.cpp contexts the backend opens and how many threads each gets.
 *
 * One sequence per context, `parallel` contexts (measured on 2 vCPUs, `npm run bench:score`,
 * docs/PERFORMANCE.md):
 * - several contexts of one thread each beat one context of several sequences and a thread
 *   per core: 1,914–2,049 tokens/s against 1,675–1,866 on the 25.7M-parameter model, and
 *   13,652 against 4,806 on the ~0.1M toy. ggml's threads meet at a spinning barrier after
 *   every op, so a thread that loses its core to Node (or to another process) stalls the
 *   others; under load the 2-thread layout fell to 509 tokens/s on the 25.7M model;
 * - several sequences of one context run into a race in llama.cpp: with more than one
 *   sequence its outputs can come back permuted and are put in order lazily, on the first
 *   read, by whichever of node-llama-cpp's concurrent sampling workers gets there first,
 *   with no lock; two at once scramble rows, and a position gets another position's
 *   distribution (test/backends/llamacpp/parallel.test.ts; the audit saw greedy tokens
 *   0.6–12.8 nats below the best). One sequence per context never permutes its outputs.
 */
import type { GgufValue } from "../../formats/index.js";

/** Contexts opened when `parallel` is not given, unless their K/V caches would pass KV_BUDGET_BYTES. */
export const DEFAULT_PARALLEL = 4;
/** K/V memory the default may take (at 2048 tokens the F32 cache is 2 GiB per context for Llama-2-7B, 0.5 GiB for Mistral-7B's grouped K/V). */
export const KV_BUDGET_BYTES = 2 * 2 ** 30;

const num = (kv: ReadonlyMap<string, GgufValue>, key: string): number | undefined => {
  const v = kv.get(key);
  if (!v) return undefined;
  const n = v.type === "uint64" || v.type === "int64" ? Number(v.value) : v.value;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : undefined;
};

/**
 * Bytes of one context's K/V cache: layers × tokens × (K + V widths) × element size, from
 * the GGUF's metadata. A missing head count or width (or a per-layer array) counts as
 * the full embedding width: an upper bound.
 */
export function kvCacheBytes(kv: ReadonlyMap<string, GgufValue>, contextSize: number, exact: boolean): number {
  const arch = kv.get("general.architecture");
  const a = arch?.type === "string" ? arch.value : "llama";
  const layers = num(kv, `${a}.block_count`) ?? 1;
  const embd = num(kv, `${a}.embedding_length`) ?? 0;
  const heads = num(kv, `${a}.attention.head_count`);
  const kvHeads = num(kv, `${a}.attention.head_count_kv`) ?? heads;
  const headDim = heads ? embd / heads : embd;
  const kWidth = kvHeads ? kvHeads * (num(kv, `${a}.attention.key_length`) ?? headDim) : embd;
  const vWidth = kvHeads ? kvHeads * (num(kv, `${a}.attention.value_length`) ?? headDim) : embd;
  return layers * contextSize * (kWidth + vWidth) * (exact ? 4 : 2);
}

/** The default number of contexts: DEFAULT_PARALLEL, fewer when their K/V caches would pass the budget. */
export function defaultParallel(kvBytesPerContext: number): number {
  return Math.max(1, Math.min(DEFAULT_PARALLEL, Math.floor(KV_BUDGET_BYTES / Math.max(1, kvBytesPerContext))));
}

/** Threads per context by default: the cores shared among the contexts, at least one each. */
export function defaultThreads(cores: number, parallel: number): number {
  return Math.max(1, Math.floor(cores / parallel));
}
