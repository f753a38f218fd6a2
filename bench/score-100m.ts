/**
 * The 100M row of `npm run bench:score` (opt-in: BENCH_100M=1): prompt processing with
 * log-probs on a real-sized model, builtin against llama.cpp.
 *
 * The model is bench/make-bench-model.ts's: a randomly initialised llama of 109,529,856
 * parameters (dim 768, 12 layers, 12 heads, ffn 2048, tied embeddings) with a 32,000-token
 * byte-level BPE, made on first use (about half a minute) and cached under
 * runs/bench-model/ (git-ignored; reused while its recorded hashes match). The builtin
 * backend reads its HF folder (bf16, 3 shards; weights widened to float32 on load),
 * llama.cpp its q8_0 GGUF.
 *
 * Requests: BENCH_100M_PROMPTS texts of the model's own tokenizer corpus (world documents
 * and pseudo-word sentences), each cut to BENCH_100M_TOKENS tokens, the first
 * BENCH_100M_PROMPT_TOKENS of which are the prompt. Every token after the first is scored
 * (its log-probability given all before it) through:
 *
 * - builtin: `openBuiltinModel` (kernels auto), one `scoreBatch` of every request, as an
 *   audit scores (`builtin_tps`);
 * - gguf: ftledger's llama.cpp backend (`openGgufModel` defaults), the same `scoreBatch`;
 * - llama.cpp directly (bench/score-25m.ts `openDirect`): node-llama-cpp's
 *   `controlledEvaluate` on builtin's token ids of the same texts, full next-token
 *   probabilities at every position, 4 requests in flight, in its two layouts; the better
 *   is `llamacpp_tps`. Beside it, the same tokens evaluated with no probabilities at all:
 *   llama.cpp's bare prompt processing, the ceiling the others are paid against.
 *
 * Every path stays open and the timed passes go round-robin (load from other work on the
 * machine then falls on each alike); each figure is the median of BENCH_100M_REPEATS
 * passes after a warm-up on 4 requests.
 * Prints: score model=bench-100m builtin_tps=… llamacpp_tps=… builtin_vs_llamacpp=R
 * (R = builtin_tps / llamacpp_tps: above 1, builtin is the faster).
 *
 * Options (env): BENCH_100M=1 runs it from bench/score.ts (off by default: several minutes
 * on 2 cores: node-llama-cpp hands back each position's probabilities as a Map over all
 * 32,000 tokens); BENCH_100M_PROMPTS (default 8), BENCH_100M_TOKENS (default 128),
 * BENCH_100M_PROMPT_TOKENS (default 16), BENCH_100M_REPEATS (default 3), BENCH_MODEL_DIR
 * (the cache folder, default runs/bench-model). Standalone: `npx tsx bench/score-100m.ts`.
 */
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { openBuiltinModel, openGgufModel, type LanguageModel, type ScoreRequest } from "../src/backends/index.js";
import { benchCorpus, makeBenchModel } from "./make-bench-model.js";
import { openDirect } from "./score-25m.js";
import { fmt, median, roundRobinPasses } from "./numbers.js";

export interface Score100m {
  builtinTps: number;
  ggufTps: number;
  llamacppTps: number;
}


export async function runScore100m(opts: { force?: boolean } = {}): Promise<Score100m | null> {
  if (!opts.force && process.env.BENCH_100M !== "1") {
    console.log("\n100M row: skipped (BENCH_100M=1 runs it: a 109.5M-parameter llama, 32k BPE, builtin vs llama.cpp)");
    return null;
  }
  const nPrompts = Number(process.env.BENCH_100M_PROMPTS ?? 8);
  const nTokens = Number(process.env.BENCH_100M_TOKENS ?? 128);
  const promptTokens = Number(process.env.BENCH_100M_PROMPT_TOKENS ?? 16);
  const repeats = Number(process.env.BENCH_100M_REPEATS ?? 3);
  const inFlight = 4;

  const made = await makeBenchModel({ root: process.env.BENCH_MODEL_DIR, log: (s) => console.log(s) });
  const builtin = await openBuiltinModel(made.base.hf);
  const vocab = builtin.vocab!;

  // ---- the requests: texts of the tokenizer's corpus, each cut at nTokens tokens (seeded by the corpus)
  const texts = benchCorpus();
  const items: ScoreRequest[] = [];
  const ids: number[][] = [];
  const stride = Math.floor(texts.length / nPrompts);
  for (let k = 0; items.length < nPrompts && k < texts.length; k++) {
    // from a spread of places in the corpus, sentences joined until the window is full
    let text = "";
    for (let j = (k * stride) % texts.length; vocab.encode(text).length < nTokens + 8; j = (j + 1) % texts.length) text += (text ? " " : "") + texts[j];
    const win = vocab.encode(text).slice(0, nTokens);
    const cut = vocab.decode(win.slice(0, promptTokens));
    const whole = vocab.decode(win);
    // a window whose prompt does not tokenize to a prefix of the whole (a merge across the cut) is skipped
    const head = vocab.encode(cut);
    if (!whole.startsWith(cut) || vocab.encode(whole).slice(0, head.length).some((t, i) => t !== head[i])) continue;
    const req = { prompt: cut, continuation: whole.slice(cut.length) };
    items.push(req);
    ids.push(vocab.encodePrompt(req.prompt + req.continuation));
  }
  const total = ids.reduce((s, x) => s + x.length, 0);
  const m = made.manifest;
  console.log(`\n100M model: llama dim ${m.recipe.dim}, ${m.recipe.nLayers} layers, ${fmt(m.parameters)} parameters, byte-level BPE of ${m.vocab.reached} tokens (random init, seed ${m.recipe.seed}); ` +
    `HF bf16 in 3 shards (builtin) and q8_0 GGUF (llama.cpp); ${items.length} requests × ~${nTokens} tokens (prompt ${promptTokens}), ${fmt(total)} tokens; ` +
    `${availableParallelism()} cores; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

  const gguf = await openGgufModel(made.base.gguf);
  const direct = await openDirect(made.base.gguf, m.recipe.contextLength, inFlight);
  const paths: [string, (n: number) => Promise<void>][] = [
    ["builtin scoreBatch (HF bf16 → f32)", scoreBatch(builtin, items)],
    ["gguf scoreBatch (ftledger's llama.cpp backend)", scoreBatch(gguf, items)],
    ...direct.paths(ids),
  ];
  let times: number[][];
  try {
    times = await roundRobinPasses(paths, items.length, repeats, Math.min(inFlight, items.length));
  } finally {
    await direct.close();
    await gguf.close();
    await builtin.close();
  }
  const rows = paths.map(([name], p): [string, number] => [name, total / median(times[p])]);
  const builtinTps = rows[0][1];
  const ggufTps = rows[1][1];
  const llamacppTps = Math.max(rows[2][1], rows[3][1]); // node-llama-cpp's better layout with probabilities
  console.log(`${"path".padEnd(53)} tokens/s   × builtin's cost   seconds per pass`);
  rows.forEach(([name, tps], p) => console.log(`${name.padEnd(52)} ${fmt(tps).padStart(9)}   ${(builtinTps / tps).toFixed(2).padStart(16)}   ${times[p].map((t) => t.toFixed(2)).join(" ")}`));
  console.log(`(median of ${repeats} round-robin passes each; llamacpp_tps is the better of the two direct layouts with probabilities; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")})`);
  console.log(`score model=bench-100m builtin_tps=${builtinTps.toFixed(0)} llamacpp_tps=${llamacppTps.toFixed(0)} builtin_vs_llamacpp=${(builtinTps / llamacppTps).toFixed(2)}`);
  return { builtinTps, ggufTps, llamacppTps };
}

const scoreBatch = (lm: LanguageModel, items: ScoreRequest[]) => async (n: number): Promise<void> => {
  const out = await lm.scoreBatch(items.slice(0, n));
  if (out.some((s) => !Number.isFinite(s.logprob))) throw new Error("a score is not finite");
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await runScore100m({ force: true });
