/**
 * `npm run bench:score`: scoring throughput of one model through each backend, and the
 * openai backend's client overhead against `ftledger serve` on loopback.
 *
 * 1. One model in a temp dir: the `toy` recipe's llama (CharTokenizer, ~100k parameters),
 *    random init with a fixed seed (or BENCH_TRAIN_STEPS of runLab), saved as an HF
 *    checkpoint and exported as an f32 GGUF.
 * 2. Throughput (tokens of prompt + continuation scored per second) on the same seeded
 *    score requests through builtin (openBuiltinModel, kernels auto) and gguf
 *    (openGgufModel with its defaults; if it cannot open, the reason is printed and the
 *    run goes on), each the median of BENCH_REPEATS timed scoreBatch calls; and openai
 *    (createOpenAIModel against startServer(builtin) on 127.0.0.1, concurrency 16), the
 *    median of step 3's client rounds (the same scoreBatch call).
 * 3. Client overhead against that same server: (a) a bare loop of plain `fetch` POSTs of
 *    the exact /v1/completions echo bodies the openai backend sends (checked against
 *    src/backends/openai/score.ts `echoBody`), BENCH_CONCURRENCY in flight, `res.json()`
 *    and nothing else; (b) the openai backend's `scoreBatch` over the same items at the
 *    same concurrency. Rounds are interleaved (order alternating) and each side's median
 *    taken: overhead_pct = 100 · (t_client − t_bare) / t_bare.
 * 4. The 25M row (./score-25m.ts): a 25.7M-parameter llama made here, 48 requests × 240
 *    tokens through builtin, gguf and node-llama-cpp directly; its line reads
 *    `score builtin_tps=… gguf_tps=… llamacpp_direct_tps=… gguf_vs_direct=R`.
 * 5. The 100M row (./score-100m.ts, opt-in: BENCH_100M=1): a 109.5M-parameter llama with a
 *    32k byte-level BPE (bench/make-bench-model.ts, cached under runs/bench-model/), prompt
 *    log-probs through builtin (HF bf16 shards) and llama.cpp (q8_0 GGUF); its line reads
 *    `score model=bench-100m builtin_tps=… llamacpp_tps=… builtin_vs_llamacpp=R`.
 * 6. The zoo rows (./score-zoo.ts): base-s, base-m and base-l through builtin, gguf and gguf
 *    via node-llama-cpp (`direct: false`); each reads `score zoo=… builtin_tps=… gguf_tps=…
 *    gguf_cost=R nlc_cost=R` (BENCH_ZOO=0 skips them).
 * Last line (machine-readable): score client_overhead_pct=<P>
 *
 * Options (env): BENCH_ITEMS (score requests, default 256), BENCH_REPEATS (timed calls
 * per backend in step 2, default 3), BENCH_ROUNDS (overhead rounds, default 9),
 * BENCH_CONCURRENCY (default 16), BENCH_TRAIN_STEPS (runLab steps before benchmarking,
 * default 0 = random init; the cost of a score does not depend on the weights), BENCH_BACKENDS (comma list, default builtin,gguf,openai), BENCH_SERVER
 * (`inproc`, default: the server in this process, as `startServer` is used in the tests;
 * `child`: `ftledger serve`'s server in a child process, so client and server do not
 * share one event loop); BENCH_25M=0 skips step 4, and BENCH_25M_* size it (see
 * bench/score-25m.ts); BENCH_100M=1 runs step 5, and BENCH_100M_* size it (see bench/score-100m.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadKernels } from "../src/tensor/index.js";
import { createRng } from "../src/random/index.js";
import { CharTokenizer, Llama, totalParameters } from "../src/model/index.js";
import { exportGguf, saveCheckpoint } from "../src/formats/index.js";
import { latestCheckpoint } from "../src/formats/index.js";
import { recipes, runLab, toyCorpus } from "../src/train/index.js";
import { createOpenAIModel, openBuiltinModel, openGgufModel, type LanguageModel, type ScoreRequest } from "../src/backends/index.js";
import { echoBody } from "../src/backends/openai/score.js";
import { startServer, type RunningServer } from "../src/serve/index.js";
import { runScore25m } from "./score-25m.js";
import { runScore100m } from "./score-100m.js";
import { runScoreZoo } from "./score-zoo.js";
import { fmt, median } from "./numbers.js";

const MODEL_NAME = "bench";

// ---- child mode: `tsx bench/score.ts --serve <checkpoint dir>` prints the URL, serves until killed
if (process.argv[2] === "--serve") {
  const lm = await openBuiltinModel(process.argv[3]);
  const server = await startServer(lm, { port: 0, modelName: MODEL_NAME });
  console.log(`URL ${server.url}`);
  await new Promise(() => {}); // until SIGTERM
}

const nItems = Number(process.env.BENCH_ITEMS ?? 256);
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const trainSteps = Number(process.env.BENCH_TRAIN_STEPS ?? 0);
const backends = new Set((process.env.BENCH_BACKENDS ?? "builtin,gguf,openai").split(","));
const serverMode = process.env.BENCH_SERVER === "child" ? "child" : "inproc";
const PROMPT_CHARS = 24;
const CONT_CHARS = 16;


// ---- 1. the model
const dir = await mkdtemp(join(tmpdir(), "ftledger-bench-score-"));
const tok = new CharTokenizer();
const recipe = recipes.toy;
const config = recipe.model(tok);
let ckptDir = join(dir, "model");
if (trainSteps > 0) {
  const r = await runLab({ recipe, dir: join(dir, "lab"), kernels: (await loadKernels()).kernels, seed: 1, steps: trainSteps });
  if (!r.ok) throw new Error(`runLab failed: ${JSON.stringify(r)}`);
  const latest = await latestCheckpoint(join(dir, "lab"));
  if (!latest) throw new Error("runLab wrote no checkpoint");
  ckptDir = latest;
} else {
  const m = Llama.f32(config, (await loadKernels()).kernels);
  m.initialize(createRng(1));
  const saved = await saveCheckpoint(ckptDir, { config, params: m.params.flat, tokenizer: tok });
  if (!saved.ok) throw new Error(`saveCheckpoint failed: ${JSON.stringify(saved.error)}`);
}
const ggufPath = join(dir, "model.gguf");
const exported = await exportGguf(ckptDir, ggufPath, { dtype: "f32", name: MODEL_NAME });
if (!exported.ok) throw new Error(`exportGguf failed: ${JSON.stringify(exported.error)}`);

// ---- the requests: windows of the toy language, seeded
const corpus = toyCorpus(2000, createRng(7));
const pick = createRng(8);
const items: ScoreRequest[] = Array.from({ length: nItems }, () => {
  const at = pick.int(corpus.length - PROMPT_CHARS - CONT_CHARS);
  return { prompt: corpus.slice(at, at + PROMPT_CHARS), continuation: corpus.slice(at + PROMPT_CHARS, at + PROMPT_CHARS + CONT_CHARS) };
});

const builtin = await openBuiltinModel(ckptDir);
const nTokens = items.reduce((s, r) => s + builtin.vocab!.encodePrompt(r.prompt + r.continuation).length, 0);
console.log(
  `model: toy llama, ${fmt(totalParameters(config))} parameters (${trainSteps > 0 ? `${trainSteps} runLab steps` : "random init, seed 1"}); ` +
  `${nItems} score requests (prompt ${PROMPT_CHARS} + continuation ${CONT_CHARS} chars, ${fmt(nTokens)} tokens); ` +
  `concurrency ${concurrency}; server ${serverMode}; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`,
);

// ---- 2. throughput per backend
type Row = { backend: string; seconds: number | null; note: string };
const rows: Row[] = [];

/** Median seconds of `repeats` timed scoreBatch(items) calls, after one warm-up call. */
async function timeScoring(lm: LanguageModel): Promise<number> {
  await lm.scoreBatch(items.slice(0, Math.min(32, items.length))); // warm-up
  const times: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const t0 = performance.now();
    const out = await lm.scoreBatch(items);
    times.push((performance.now() - t0) / 1000);
    if (out.length !== items.length || out.some((s) => !Number.isFinite(s.logprob))) throw new Error("a score is missing or not finite");
  }
  return median(times);
}

if (backends.has("builtin")) {
  rows.push({ backend: "builtin", seconds: await timeScoring(builtin), note: "engine, kernels auto" });
}

if (backends.has("gguf")) {
  let gguf: LanguageModel | null = null;
  try {
    gguf = await openGgufModel(ggufPath);
  } catch (e) {
    console.log(`gguf unavailable: ${(e as Error).message}`);
    rows.push({ backend: "gguf", seconds: null, note: `unavailable: ${(e as Error).message.split("\n")[0]}` });
  }
  if (gguf) {
    try {
      rows.push({ backend: "gguf", seconds: await timeScoring(gguf), note: "llama.cpp, f32 GGUF, defaults" });
    } catch (e) {
      console.log(`gguf failed: ${(e as Error).message}`);
      rows.push({ backend: "gguf", seconds: null, note: `failed: ${(e as Error).message.split("\n")[0]}` });
    } finally {
      await gguf.close();
    }
  }
}

// ---- the server: in this process, or `ftledger serve`'s server in a child
let server: RunningServer | null = null;
let child: ChildProcess | null = null;
let url: string;
if (serverMode === "child") {
  const self = fileURLToPath(import.meta.url);
  child = spawn(process.execPath, [...process.execArgv, self, "--serve", ckptDir], { stdio: ["ignore", "pipe", "inherit"] });
  url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    child!.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = /URL (\S+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    child!.on("exit", (code) => reject(new Error(`the server child exited (${code})`)));
  });
  process.on("exit", () => child?.kill("SIGTERM")); // also when this run fails
} else {
  server = await startServer(builtin, { port: 0, modelName: MODEL_NAME });
  url = server.url;
}
const client = await createOpenAIModel({ endpoints: [url], model: MODEL_NAME, concurrency });

// ---- 3. client overhead: bare fetch loop vs the openai backend, same bodies, same concurrency
const bareBody = (r: ScoreRequest): string =>
  JSON.stringify({ model: MODEL_NAME, prompt: r.prompt + r.continuation, max_tokens: 0, echo: true, logprobs: 1, temperature: 0 });
if (bareBody(items[0]) !== JSON.stringify(echoBody(MODEL_NAME, items[0].prompt + items[0].continuation, 0))) {
  throw new Error("the bare loop's body differs from the openai backend's echoBody; update bench/score.ts");
}
const headers = { accept: "application/json", "content-type": "application/json" };

/** Wall seconds and this process's CPU seconds (user + system) of one loop. */
type Timing = { wall: number; cpu: number };
async function timed(run: () => Promise<void>): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 };
}

function bareLoop(): Promise<Timing> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const res = await fetch(url + "/completions", { method: "POST", headers, body: bareBody(items[i]) });
      if (!res.ok) throw new Error(`bare loop: HTTP ${res.status}`);
      await res.json();
    }
  };
  return timed(async () => {
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  });
}

function clientLoop(): Promise<Timing> {
  return timed(async () => {
    await client.scoreBatch(items);
  });
}

await bareLoop(); // warm-up (JIT, keep-alive connections)
await clientLoop();
const bare: Timing[] = [];
const viaClient: Timing[] = [];
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    bare.push(await bareLoop());
    viaClient.push(await clientLoop());
  } else {
    viaClient.push(await clientLoop());
    bare.push(await bareLoop());
  }
}
const tBare = median(bare.map((t) => t.wall));
const tClient = median(viaClient.map((t) => t.wall));
const overheadPct = (100 * (tClient - tBare)) / tBare;
const perRound = bare.map((b, i) => (100 * (viaClient[i].wall - b.wall)) / b.wall);
// CPU seconds of this process: less disturbed by other load than wall time. In-process
// server: client + server work; child server: the client side only.
const cBare = median(bare.map((t) => t.cpu));
const cClient = median(viaClient.map((t) => t.cpu));
// the openai backend's throughput is its median round: the same scoreBatch(items)
if (backends.has("openai")) rows.push({ backend: "openai", seconds: tClient, note: `ftledger serve on loopback (${serverMode}), ${concurrency} in flight` });

await client.close();
await server?.close();
if (child) {
  child.kill("SIGTERM");
}
await builtin.close();
await rm(dir, { recursive: true, force: true });

// ---- report
console.log("");
console.log("backend   tokens/s  requests/s   seconds  note");
for (const r of rows) {
  if (r.seconds === null) console.log(`${r.backend.padEnd(8)} ${"—".padStart(9)} ${"—".padStart(11)} ${"—".padStart(9)}  ${r.note}`);
  else console.log(`${r.backend.padEnd(8)} ${fmt(nTokens / r.seconds).padStart(9)} ${fmt(nItems / r.seconds, 1).padStart(11)} ${r.seconds.toFixed(3).padStart(9)}  ${r.note}`);
}
console.log("");
console.log(`client overhead, ${nItems} echo requests, ${concurrency} in flight, ${rounds} interleaved rounds (seconds):`);
console.log(`  bare fetch loop  ${bare.map((x) => x.wall.toFixed(3)).join("  ")}   median ${tBare.toFixed(3)} (${fmt(nItems / tBare, 1)} req/s)`);
console.log(`  openai backend   ${viaClient.map((x) => x.wall.toFixed(3)).join("  ")}   median ${tClient.toFixed(3)} (${fmt(nItems / tClient, 1)} req/s)`);
console.log(`  per round %      ${perRound.map((x) => x.toFixed(1)).join("  ")}   (median ${median(perRound).toFixed(1)})`);
console.log(`  CPU s (${serverMode === "child" ? "client process" : "client + server"})  bare ${cBare.toFixed(3)}  openai ${cClient.toFixed(3)}  ` +
  `+${(((cClient - cBare) / nItems) * 1e3).toFixed(3)} ms per request (${((100 * (cClient - cBare)) / cBare).toFixed(1)}%)`);
console.log(`  overhead ${overheadPct.toFixed(1)}% of the bare loop (target < 10%: ${overheadPct < 10 ? "met" : "NOT met"}); ` +
  `${(((tClient - tBare) / nItems) * 1e3).toFixed(3)} ms per request; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

// ---- 4. the 25M model, 5. the 100M model and 6. the zoo models (their own tables and score lines), then this run's last line
await runScore25m();
await runScore100m();
await runScoreZoo();
console.log(`score client_overhead_pct=${overheadPct.toFixed(1)}`);
