/**
 * `openGgufModel`: a GGUF file as a `LanguageModel`, through llama.cpp (node-llama-cpp
 * 3.21.1, prebuilt CPU binary: never built, never downloaded).
 *
 * 1. Validate the file (./check.ts): header and metadata with ftledger's reader, then a
 *    real load in a child process, so a file that makes llama.cpp abort kills only the child.
 * 2. Identity: sha256 of the file (./file-id.ts).
 * 0. The device (./gpu.ts, `gpu`): the CPU unless asked; an explicit GPU that cannot start
 *    is said as such before the file is touched.
 * 3. Load in-process; `parallel` contexts of one sequence each (./layout.ts). Exact scoring (the default)
 *    uses an F32 K/V cache and no flash attention: log-probs then match an independent
 *    forward pass to ~1e-6 (test/formats/gguf-llamacpp.test.ts); the default F16 cache
 *    is ~1e-3 off.
 * 4. Scoring through the direct scorer (./direct.ts: `parallel` more contexts, in our own
 *    addon over the same libllama) when it is built and the model is on the CPU without
 *    an adapter; generation, and scoring otherwise, through node-llama-cpp.
 */
import { availableParallelism } from "node:os";
import type { Llama as LlamaCpp, LlamaContext, LlamaContextOptions } from "node-llama-cpp";
import type { ChatMessage, ContinuationScore, GenerateRequest, Generation, LanguageModel, PositionScore, ScoreRequest, TokenIds, TokenLogprobs, Vocabulary } from "../language-model.js";
import { checkGguf, GgufLoadError } from "./check.js";
import { ggufFileId } from "./file-id.js";
import { checkGgufLora } from "./lora.js";
import { DEFAULT_GGUF_GPU, describeLlamaDevice, startLlama, type GgufGpu } from "./gpu.js";
import { acquireGgufModel, releaseGgufModel } from "./shared-model.js";
import { SharedLoads } from "./shared-loads.js";
import { generateOne, renderChat } from "./generate.js";
import { defaultParallel, defaultThreads, kvCacheBytes } from "./layout.js";
import { detokenize, promptIds, SequencePool, tokenize, tokenTexts, type Runtime } from "./runtime.js";
import { nextTokenLogprobsOf, scoreOne, scoreTokensOf } from "./score.js";
import { directAddon, openDirectScorer, type DirectScorer } from "./direct.js";

export interface GgufModelOptions {
  /** Tokens per sequence. Default: the model's training context, at most 2048 (K/V memory grows with it × parallel). */
  contextSize?: number;
  /** F32 K/V cache and flash attention off, for log-probs that match a reference. Default true: scoring is this backend's main job. */
  exactScoring?: boolean;
  /**
   * Requests evaluated at once, each in a llama.cpp context of its own (one sequence each:
   * ./layout.ts says why not several sequences of one context). Default 4, fewer when
   * their F32 K/V caches would pass 2 GiB. Each context holds `contextSize` tokens of K/V.
   */
  parallel?: number;
  /**
   * CPU threads per context. Default: the cores divided among the `parallel` contexts, at
   * least 1 (so 1 on 2 cores). NOTE: more threads than cores per context stall on ggml's
   * spinning barriers (one tiny evaluation took ~400 ms on 2 vCPUs against ~2 ms).
   */
  threads?: number;
  /**
   * Prepend the model's BOS token to every text prompt. Default: the GGUF's
   * tokenizer.ggml.add_bos_token (llama.cpp's own rule). An empty prompt is always
   * conditioned on BOS when the model has one. NOTE: ftledger's exports say false
   * (their chat template writes <bos> itself), as the builtin backend's tokenizer does.
   */
  addBos?: boolean;
  /** Time allowed for the child-process load check. Default 120 s. */
  checkTimeoutMs?: number;
  /** A GGUF LoRA adapter applied to every context (./lora.ts checks it); `scale` multiplies its alpha/r (llama.cpp's). */
  lora?: { file: string; scale: number };
  /** The device (./gpu.ts): off (the CPU, the default: reproducible), auto, cuda or vulkan. */
  gpu?: GgufGpu;
  /**
   * Score through the direct scorer (./direct.ts) where it can run. Default true; false
   * (or FTLEDGER_GGUF_DIRECT=0) scores through node-llama-cpp's sampling calls. On float
   * weights both give the same log-probs to ~1e-6; on quantised weights they differ
   * slightly (the direct scorer does not repack them), and the model's id says which.
   */
  direct?: boolean;
}

/** Tensor types both scoring paths compute alike (no repacked CPU layouts exist for them). */
const FLOAT_TYPES = new Set(["F32", "F16", "BF16"]);

/** One llama.cpp binding per device per process, disposed when the last model on it closes; one that fails to start is forgotten (the next open tries again). */
const bindings = new SharedLoads<GgufGpu, LlamaCpp>((llama) => llama.dispose());

const acquireLlama = (gpu: GgufGpu): Promise<LlamaCpp> => bindings.acquire(gpu, () => startLlama(gpu));

async function releaseLlama(gpu: GgufGpu): Promise<void> {
  await bindings.release(gpu);
}

/**
 * Like Promise.all, but a failure is reported only after every request has settled.
 * NOTE: Promise.all rejects at the first error while the other sequences keep decoding on
 * the shared context; a caller that retries the batch (probes/respond.ts on a context
 * error) would then run new sequences beside orphaned ones, and llama.cpp's outputs were
 * seen to go wrong (test/audit/three-backends.test.ts).
 */
async function settled<T>(work: Promise<T>[]): Promise<T[]> {
  const done = await Promise.allSettled(work);
  const failed = done.find((d): d is PromiseRejectedResult => d.status === "rejected");
  if (failed) throw failed.reason;
  return done.map((d) => (d as PromiseFulfilledResult<T>).value);
}

export async function openGgufModel(path: string, opts: GgufModelOptions = {}): Promise<LanguageModel> {
  if (opts.parallel !== undefined && !(Number.isInteger(opts.parallel) && opts.parallel >= 1)) throw new Error(`openGgufModel: parallel must be a positive integer, got ${opts.parallel}`);
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) throw new Error(`openGgufModel: threads must be a positive integer, got ${opts.threads}`);
  if (opts.contextSize !== undefined && !(Number.isInteger(opts.contextSize) && opts.contextSize >= 2)) {
    throw new Error(`openGgufModel: contextSize must be an integer ≥ 2, got ${opts.contextSize}`);
  }
  if (opts.lora && !Number.isFinite(opts.lora.scale)) throw new Error(`openGgufModel: the LoRA scale must be a finite number, got ${opts.lora.scale}`);
  const gpu = opts.gpu ?? DEFAULT_GGUF_GPU;
  // the device first: a GPU that cannot start is a GgufGpuError, not a complaint about the file
  const llama = await acquireLlama(gpu);
  let model: Awaited<ReturnType<LlamaCpp["loadModel"]>> | undefined;
  const contexts: LlamaContext[] = [];
  let direct: DirectScorer | undefined;
  try {
    const checked = await checkGguf(path, { timeoutMs: opts.checkTimeoutMs, gpu });
    if (!checked.ok) throw new GgufLoadError(checked.error);
    const kv = checked.value.kv;
    if (opts.lora) {
      const bad = await checkGgufLora(path, opts.lora.file, opts.checkTimeoutMs);
      if (bad) throw new Error(bad);
    }
    // the adapter and its scale change every result, so they are part of the identity; so does a GPU (./gpu.ts)
    const fileId = opts.lora ? `${await ggufFileId(path)}+lora:${(await ggufFileId(opts.lora.file)).slice("gguf:".length)}@${opts.lora.scale}` : await ggufFileId(path);
    const id0 = llama.gpu === false ? fileId : `${fileId}+gpu:${llama.gpu}`;
    // one LlamaModel per file for every arm over it (base and adapters: ./shared-model.ts); all layers on a GPU when there is one
    model = await acquireGgufModel(llama, path, () => llama.loadModel({ modelPath: path, gpuLayers: llama.gpu === false ? 0 : "auto" }));
    const exact = opts.exactScoring ?? true;
    const contextSize = opts.contextSize ?? Math.min(model.trainContextSize, 2048);
    // the direct scorer runs where it shares node-llama-cpp's own libllama: its CPU prebuilt binary, no adapter
    const useDirect = (opts.direct ?? true) && llama.gpu === false && llama.buildType === "prebuilt" && !opts.lora && "addon" in directAddon();
    // its contexts hold as much K/V again, within the same budget
    const parallel = opts.parallel ?? defaultParallel(kvCacheBytes(kv, contextSize, exact) * (useDirect ? 2 : 1));
    const threads = opts.threads ?? defaultThreads(availableParallelism(), parallel);
    const ctxOptions: LlamaContextOptions = { contextSize, sequences: 1, threads };
    if (exact) Object.assign(ctxOptions, { flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" });
    if (opts.lora) ctxOptions.lora = { adapters: [{ filePath: opts.lora.file, scale: opts.lora.scale }] };
    for (let i = 0; i < parallel; i++) contexts.push(await model.createContext(ctxOptions));
    const context = contexts[0];
    const pool = new SequencePool(contexts.map((c) => c.getSequence()));
    direct = useDirect ? openDirectScorer(path, { lanes: parallel, threads, contextSize: context.contextSize, exact }) : undefined;
    // NOTE: on float weights both scoring paths give the same numbers (~1e-6); quantised
    // weights are not repacked by the direct scorer (./direct.ts) and llama.cpp's generic and
    // repacked kernels round differently (~3e-3 in a log-prob on q4_0), so it is a model of its own
    const id = direct && checked.value.tensorTypes.some((t) => !FLOAT_TYPES.has(t)) ? `${id0}+direct` : id0;
    const tokens = kv.get("tokenizer.ggml.tokens");
    const template = kv.get("tokenizer.chat_template");
    const bos = model.tokens.bos;
    const rt: Runtime = {
      file: path,
      model,
      vocabSize: tokens?.type === "array" ? tokens.value.length : 0, // checkMetadata made sure it is an array
      contextSize: context.contextSize,
      bos: bos === null ? null : Number(bos),
      addBos: opts.addBos ?? model.tokens.shouldPrependBosToken,
      chatTemplate: template?.type === "string" ? template.value : undefined,
      mergesTokens: ((m) => m?.type === "array" && m.value.length > 0)(kv.get("tokenizer.ggml.merges")),
      tokenText: tokenTexts(model, tokens?.type === "array" ? tokens.value.length : 0),
      withSequence: (fn) => pool.use(fn),
      direct,
    };
    const ends = [model.tokens.eos, model.tokens.eot].filter((t): t is NonNullable<typeof t> => t !== null && t !== undefined).map(Number);
    const vocab: Vocabulary = {
      size: rt.vocabSize,
      eosIds: [...new Set(ends)],
      ...(rt.bos !== null ? { bosId: rt.bos } : {}),
      encode: (text) => tokenize(rt, text),
      encodePrompt: (text) => promptIds(rt, text),
      decode: (ids) => detokenize(rt, ids),
      tokenText: (tokenId) => rt.tokenText(tokenId),
    };
    let closed = false;
    const loaded = model;
    const live = <T>(fn: () => Promise<T>): Promise<T> => (closed ? Promise.reject(new Error(`${path}: the model was closed`)) : fn());
    const device = await describeLlamaDevice(llama, threads, parallel, direct !== undefined);
    return {
      device,
      // options that change results are part of the identity (the file hash alone is not enough)
      // token healing (../healing.ts) changes what a BPE model generates, so such a model's id says it (stale cached generations are not reused)
      id: (rt.addBos === model.tokens.shouldPrependBosToken && exact ? id : `${id}+${rt.addBos ? "bos" : "nobos"}${exact ? "" : "+approx"}`) + (rt.mergesTokens ? "+healing" : ""),
      vocab,
      contextLength: rt.contextSize,
      generate: (req: GenerateRequest): Promise<Generation> => live(() => generateOne(rt, req)),
      generateBatch: (reqs: GenerateRequest[]): Promise<Generation[]> => live(() => settled(reqs.map((r) => generateOne(rt, r)))),
      score: (req: ScoreRequest): Promise<ContinuationScore> => live(() => scoreOne(rt, req)),
      scoreBatch: (reqs: ScoreRequest[]): Promise<ContinuationScore[]> => live(() => settled(reqs.map((r) => scoreOne(rt, r)))),
      nextTokenLogprobs: (prefix: TokenIds, k?: number): Promise<TokenLogprobs> => live(() => nextTokenLogprobsOf(rt, prefix, k)),
      scoreTokens: (ids: TokenIds, topK: number): Promise<PositionScore[]> => live(() => scoreTokensOf(rt, ids, topK)),
      chatPrompt: (messages: ChatMessage[]): string => renderChat(rt, messages),
      close: async () => {
        if (closed) return;
        closed = true;
        await direct?.close();
        for (const c of contexts) await c.dispose();
        await releaseGgufModel(loaded);
        await releaseLlama(gpu);
      },
    };
  } catch (e) {
    await direct?.close();
    for (const c of contexts) await c.dispose();
    if (model) await releaseGgufModel(model);
    await releaseLlama(gpu);
    throw e;
  }
}
