/**
 * The 25M row of `npm run bench:score`: a 25.7M-parameter llama (dim 512, 8 layers, 8
 * heads, ffn 1408, tied embeddings, CharTokenizer, context 512), random init with seed 1,
 * made here in a temp dir (saveCheckpoint + exportGguf f32; never shipped), and the same
 * requests through three paths, all in this process:
 *
 * - builtin: `openBuiltinModel` (kernels auto), one `scoreBatch` of every request;
 * - gguf: `openGgufModel` with its defaults, one `scoreBatch` of every request (as an audit
 *   scores: the `gguf_tps` figure; through the backend's direct scorer where it is built,
 *   src/backends/llamacpp/direct.ts); and `scoreTokens(ids, 1)` of every request at once
 *   (what `ftledger serve` runs for an echo + logprobs request), reported beside it; and
 *   the same `scoreBatch` with `direct: false` (node-llama-cpp's sampling calls, the
 *   backend before the direct scorer);
 * - llama.cpp directly: node-llama-cpp's `controlledEvaluate` on the same token ids with
 *   the full next-token probabilities at every position, 4 requests in flight, with the
 *   backend's exact-scoring settings (F32 K/V cache, no flash attention), in two layouts:
 *   one context with 4 sequences and a thread per core (node-llama-cpp's own way to run
 *   requests in parallel), and 4 one-sequence contexts of 1 thread each.
 *   `llamacpp_direct_tps` is the better of the two. Beside them, the second layout
 *   evaluating the same tokens without any logits: the ceiling probabilities are paid against.
 *
 * Every path stays open and the timed passes go round-robin (this machine is shared: load
 * from other work then falls on all paths alike); each figure is the median of
 * BENCH_25M_REPEATS passes after a warm-up on 4 requests. Throughput counts every token
 * of prompt + continuation.
 * Prints: score builtin_tps=… gguf_tps=… llamacpp_direct_tps=… gguf_vs_direct=R
 *
 * Options (env): BENCH_25M=0 skips it; BENCH_25M_MODEL=toy runs the same paths on the toy
 * recipe's llama instead (e.g. with BENCH_25M_PROMPTS=256 BENCH_25M_TOKENS=40
 * BENCH_25M_PROMPT_TOKENS=24, the toy rows' requests in size); BENCH_25M_PROMPTS (requests, default 48),
 * BENCH_25M_TOKENS (tokens per request, default 240), BENCH_25M_PROMPT_TOKENS (of which
 * prompt, default 16: echo scoring scores nearly every token), BENCH_25M_REPEATS (default 3).
 * Standalone: `npx tsx bench/score-25m.ts`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type LlamaContext, type LlamaContextOptions, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import { loadKernels } from "../src/tensor/index.js";
import { createRng } from "../src/random/index.js";
import { CharTokenizer, Llama, totalParameters, type ModelConfig } from "../src/model/index.js";
import { exportGguf, saveCheckpoint } from "../src/formats/index.js";
import { recipes, toyCorpus } from "../src/train/index.js";
import { openBuiltinModel, openGgufModel, type LanguageModel, type ScoreRequest } from "../src/backends/index.js";
import { fmt, median, roundRobinPasses } from "./numbers.js";

export interface Score25m {
  builtinTps: number;
  ggufTps: number;
  directTps: number;
}


export const config25m = (tok: CharTokenizer): ModelConfig => ({
  vocabSize: tok.size, dim: 512, nLayers: 8, nHeads: 8, nKvHeads: 8, ffnDim: 1408, contextLength: 512, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
});

export async function runScore25m(): Promise<Score25m | null> {
  if (process.env.BENCH_25M === "0") return null;
  const nPrompts = Number(process.env.BENCH_25M_PROMPTS ?? 48);
  const nTokens = Number(process.env.BENCH_25M_TOKENS ?? 240);
  const promptTokens = Number(process.env.BENCH_25M_PROMPT_TOKENS ?? 16);
  const repeats = Number(process.env.BENCH_25M_REPEATS ?? 3);
  const inFlight = 4;

  // ---- the model, in a temp dir
  const dir = await mkdtemp(join(tmpdir(), "ftledger-bench-25m-"));
  try {
    const tok = new CharTokenizer();
    // BENCH_25M_MODEL=toy: the same paths on the toy recipe's llama (the toy rows' model)
    const toy = process.env.BENCH_25M_MODEL === "toy";
    const config = toy ? recipes.toy.model(tok) : config25m(tok);
    const ckpt = join(dir, "model");
    const m = Llama.f32(config, (await loadKernels()).kernels);
    m.initialize(createRng(1));
    const saved = await saveCheckpoint(ckpt, { config, params: m.params.flat, tokenizer: tok });
    if (!saved.ok) throw new Error(`saveCheckpoint failed: ${JSON.stringify(saved.error)}`);
    const ggufPath = join(dir, "model.gguf");
    const exported = await exportGguf(ckpt, ggufPath, { dtype: "f32", name: "bench-25m" });
    if (!exported.ok) throw new Error(`exportGguf failed: ${JSON.stringify(exported.error)}`);

    // ---- the requests: windows of the toy language (one character = one token)
    const corpus = toyCorpus(Math.ceil((nPrompts * nTokens) / 20) + 200, createRng(7));
    const pick = createRng(9);
    const items: ScoreRequest[] = Array.from({ length: nPrompts }, () => {
      const at = pick.int(corpus.length - nTokens);
      return { prompt: corpus.slice(at, at + promptTokens), continuation: corpus.slice(at + promptTokens, at + nTokens) };
    });
    const builtin = await openBuiltinModel(ckpt);
    const ids = items.map((r) => builtin.vocab!.encodePrompt(r.prompt + r.continuation));
    const total = ids.reduce((s, x) => s + x.length, 0);
    console.log(`\n${toy ? "toy" : "25M"} model: llama dim ${config.dim}, ${config.nLayers} layers, ${fmt(totalParameters(config))} parameters, CharTokenizer (random init, seed 1); ` +
      `${nPrompts} requests × ${nTokens} tokens (prompt ${promptTokens}), ${fmt(total)} tokens; ${availableParallelism()} cores; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

    // every path stays open and the timed passes go round-robin, so load from other work
    // on the machine falls on all of them alike; each figure is its median pass
    const gguf = await openGgufModel(ggufPath);
    const ggufNlc = await openGgufModel(ggufPath, { direct: false });
    const direct = await openDirect(ggufPath, config.contextLength, inFlight);
    const paths: [string, (n: number) => Promise<void>][] = [
      ["builtin scoreBatch", scoreBatch(builtin, items)],
      ["gguf scoreBatch (defaults)", scoreBatch(gguf, items)],
      ["gguf scoreTokens top-1 (serve's echo)", async (n) => void (await Promise.all(ids.slice(0, n).map((x) => gguf.scoreTokens!(x, 1))))],
      ...direct.paths(ids),
      ["gguf scoreBatch via node-llama-cpp (direct: false)", scoreBatch(ggufNlc, items)],
    ];
    let times: number[][];
    try {
      times = await roundRobinPasses(paths, nPrompts, repeats, Math.min(inFlight, nPrompts));
    } finally {
      await direct.close();
      await gguf.close();
      await ggufNlc.close();
      await builtin.close();
    }
    const rows = paths.map(([name], p): [string, number] => [name, total / median(times[p])]);
    const builtinTps = rows[0][1];
    const ggufTps = rows[1][1];
    // the direct figure: node-llama-cpp's best layout here
    const directTps = Math.max(rows[3][1], rows[4][1]);
    console.log("path                                              tokens/s   × builtin's cost   seconds per pass");
    rows.forEach(([name, tps], p) => console.log(`${name.padEnd(48)} ${fmt(tps).padStart(9)}   ${(builtinTps / tps).toFixed(2).padStart(16)}   ${times[p].map((t) => t.toFixed(2)).join(" ")}`));
    const result = { builtinTps, ggufTps, directTps };
    console.log(`(median of ${repeats} round-robin passes each; llamacpp_direct_tps is the better of the two direct layouts with probabilities)`);
    console.log(`score builtin_tps=${builtinTps.toFixed(0)} gguf_tps=${ggufTps.toFixed(0)} llamacpp_direct_tps=${directTps.toFixed(0)} gguf_vs_direct=${(ggufTps / directTps).toFixed(2)}`);
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const scoreBatch = (lm: LanguageModel, items: ScoreRequest[]) => async (n: number): Promise<void> => {
  const out = await lm.scoreBatch(items.slice(0, n));
  if (out.some((s) => !Number.isFinite(s.logprob))) throw new Error("a score is not finite");
};

/** node-llama-cpp on its own, `inFlight` requests at a time, in two layouts (see the header); also the 100M row's (./score-100m.ts). */
export async function openDirect(path: string, contextSize: number, inFlight: number): Promise<{ paths(ids: number[][]): [string, (n: number) => Promise<void>][]; close(): Promise<void> }> {
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error, maxThreads: 0 });
  const model: LlamaModel = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const exact = { contextSize, flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" } as const;
  const cores = availableParallelism();
  const open = async (contexts: number, opts: LlamaContextOptions): Promise<LlamaContextSequence[]> => {
    const ctxs: LlamaContext[] = [];
    for (let i = 0; i < contexts; i++) ctxs.push(await model.createContext({ ...exact, ...opts }));
    return ctxs.flatMap((c) => Array.from({ length: opts.sequences ?? 1 }, () => c.getSequence()));
  };
  const shared = await open(1, { sequences: inFlight, threads: cores });
  const own = await open(inFlight, { sequences: 1, threads: 1 });
  const run = (seqs: LlamaContextSequence[], ids: number[][], logits: boolean) => async (n: number): Promise<void> => {
    let next = 0;
    await Promise.all(seqs.map(async (seq) => {
      while (next < n) {
        const x = ids[next++];
        await seq.clearHistory();
        if (!logits) {
          await seq.evaluateWithoutGeneratingNewTokens(x.slice(0, -1) as Token[]);
          continue;
        }
        const out = await seq.controlledEvaluate(x.slice(0, -1).map((t) => [t as Token, { generateNext: { probabilities: true } }] as [Token, { generateNext: { probabilities: true } }]));
        for (let i = 1; i < x.length; i++) if (!((out[i - 1]?.next.probabilities?.get(x[i] as Token) ?? 0) > 0)) throw new Error("direct: no probability");
      }
    }));
  };
  return {
    paths: (ids) => [
      [`llama.cpp direct, 1 context × ${inFlight} sequences, ${cores} threads`, run(shared, ids, true)],
      [`llama.cpp direct, ${inFlight} contexts × 1 thread`, run(own, ids, true)],
      [`llama.cpp direct, no logits (${inFlight} contexts × 1 thread)`, run(own, ids, false)],
    ],
    close: async () => {
      for (const s of [...shared, ...own]) if (!s.context.disposed) await s.context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runScore25m();
