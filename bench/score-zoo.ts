/**
 * The zoo rows of `npm run bench:score`: each shipped zoo model (base-s, base-m, base-l)
 * exported as an f32 GGUF in a temp dir, and the same score requests through
 *
 * - builtin: `openModel("builtin:zoo/…")`, one `scoreBatch` of every request;
 * - gguf: `openGgufModel` with its defaults, one `scoreBatch` (scoring through the direct
 *   scorer, src/backends/llamacpp/direct.ts, where it is built);
 * - gguf via node-llama-cpp: the same with `direct: false` (one sampling call per scored
 *   position: the backend before the direct scorer);
 * - llama.cpp's own floor: the direct scorer's addon on its own (4 contexts × 1 thread, as
 *   the backend), each request evaluated with one output row (its last position) instead
 *   of one per continuation token: the forward pass alone, what no backend over llama.cpp
 *   can beat. Its cost against builtin says how much of the gguf cost is llama.cpp's.
 *
 * Requests: BENCH_ZOO_PROMPTS (default 256) windows of the toy language, BENCH_ZOO_TOKENS
 * (default 40) tokens each, the first BENCH_ZOO_PROMPT_TOKENS (default 24) the prompt: the
 * size of an audit's score requests. Round-robin passes, the median of BENCH_ZOO_REPEATS
 * (default 3) after a warm-up, as the 25M row (./score-25m.ts). Per model it prints
 *   score zoo=<name> builtin_tps=… gguf_tps=… gguf_cost=R nlc_cost=R llamacpp_floor_cost=R
 * where a cost is builtin's throughput ÷ that path's (1.5 = 1.5× builtin's time).
 * BENCH_ZOO=0 skips it; BENCH_ZOO_MODELS=base-m picks models. Standalone: `npx tsx bench/score-zoo.ts`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng } from "../src/random/index.js";
import { exportGguf, ZOO_DIR } from "../src/formats/index.js";
import { toyCorpus } from "../src/train/index.js";
import { openGgufModel, openModel, type LanguageModel, type ScoreRequest } from "../src/backends/index.js";
import { openDirectScorer } from "../src/backends/llamacpp/direct.js";
import { fmt, median, roundRobinPasses } from "./numbers.js";

export interface ZooScoreRow {
  model: string;
  builtinTps: number;
  ggufTps: number;
  nlcTps: number;
  floorTps: number;
}

const scoreBatch = (lm: LanguageModel, items: ScoreRequest[]) => async (n: number): Promise<void> => {
  const out = await lm.scoreBatch(items.slice(0, n));
  if (out.some((s) => !Number.isFinite(s.logprob))) throw new Error("a score is not finite");
};

export async function runScoreZoo(): Promise<ZooScoreRow[]> {
  if (process.env.BENCH_ZOO === "0") return [];
  const models = (process.env.BENCH_ZOO_MODELS ?? "base-s,base-m,base-l").split(",");
  const nPrompts = Number(process.env.BENCH_ZOO_PROMPTS ?? 256);
  const nTokens = Number(process.env.BENCH_ZOO_TOKENS ?? 40);
  const promptTokens = Number(process.env.BENCH_ZOO_PROMPT_TOKENS ?? 24);
  const repeats = Number(process.env.BENCH_ZOO_REPEATS ?? 3);
  const corpus = toyCorpus(Math.ceil((nPrompts * nTokens) / 20) + 200, createRng(7));
  const pick = createRng(9);
  const items: ScoreRequest[] = Array.from({ length: nPrompts }, () => {
    const at = pick.int(corpus.length - nTokens);
    return { prompt: corpus.slice(at, at + promptTokens), continuation: corpus.slice(at + promptTokens, at + nTokens) };
  });
  console.log(`\nzoo models: ${nPrompts} requests × ${nTokens} tokens (prompt ${promptTokens}); load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  console.log("model    path                               tokens/s   × builtin's cost   seconds per pass");
  const dir = await mkdtemp(join(tmpdir(), "ftledger-bench-zoo-"));
  const rows: ZooScoreRow[] = [];
  try {
    for (const name of models) {
      const ggufPath = join(dir, `${name}.gguf`);
      const exported = await exportGguf(join(ZOO_DIR, name), ggufPath, { dtype: "f32" });
      if (!exported.ok) throw new Error(`exportGguf ${name} failed: ${JSON.stringify(exported.error)}`);
      const builtin = await openModel(`builtin:zoo/${name}`);
      const gguf = await openGgufModel(ggufPath);
      const nlc = await openGgufModel(ggufPath, { direct: false });
      const ids = items.map((r) => builtin.vocab!.encodePrompt(r.prompt + r.continuation));
      const total = ids.reduce((s, x) => s + x.length, 0);
      const floor = openDirectScorer(ggufPath, { lanes: 4, threads: 1, contextSize: gguf.contextLength ?? 256, exact: true });
      const paths: [string, (n: number) => Promise<void>][] = [
        ["builtin scoreBatch", scoreBatch(builtin, items)],
        [`gguf scoreBatch (${/direct scoring/.test(gguf.device ?? "") ? "direct scorer" : "no direct scorer"})`, scoreBatch(gguf, items)],
        ["gguf scoreBatch via node-llama-cpp", scoreBatch(nlc, items)],
        ["llama.cpp forward only (floor)", async (n) => {
          if (!floor) return;
          await Promise.all(ids.slice(0, n).map((x) => floor.evaluate(x.slice(0, -1), { first: x.length - 2 })));
        }],
      ];
      let times: number[][];
      try {
        times = await roundRobinPasses(paths, nPrompts, repeats, 8);
      } finally {
        await Promise.all([builtin.close(), gguf.close(), nlc.close(), floor?.close()]);
      }
      const tps = times.map((t) => total / median(t));
      paths.forEach(([path], p) => console.log(`${name.padEnd(8)} ${path.padEnd(34)} ${fmt(tps[p]).padStart(9)}   ${(tps[0] / tps[p]).toFixed(2).padStart(16)}   ${times[p].map((t) => t.toFixed(2)).join(" ")}`));
      rows.push({ model: name, builtinTps: tps[0], ggufTps: tps[1], nlcTps: tps[2], floorTps: floor ? tps[3] : NaN });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`(median of ${repeats} round-robin passes each; a cost is builtin's tokens/s ÷ the path's)`);
  for (const r of rows) {
    console.log(`score zoo=${r.model} builtin_tps=${r.builtinTps.toFixed(0)} gguf_tps=${r.ggufTps.toFixed(0)} gguf_cost=${(r.builtinTps / r.ggufTps).toFixed(2)} nlc_cost=${(r.builtinTps / r.nlcTps).toFixed(2)} llamacpp_floor_cost=${(r.builtinTps / r.floorTps).toFixed(2)}`);
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runScoreZoo();
