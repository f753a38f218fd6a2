/**
 * The LoRA check on real models: a LoRA adapter made here loads in llama.cpp
 * (node-llama-cpp 3.21.1, the context's `lora` option) and gives the same log-probs as the
 * builtin engine with the adapter. Per adapter: export the base and the adapter to GGUF (f32),
 * evaluate T positions of chat-framed world text (arithmetic items, answers included) in
 * llama.cpp with the adapter (F32 K/V cache, flash attention off, one thread), and in the
 * engine (the kernels `builtin:` uses) with the adapter attached (not merged) and merged
 * (mergeLora); report the worst |Δ log p| over all T × V log-probs and over the T observed
 * next tokens, and how far the adapter moves the base (so the agreement is not trivial).
 *
 * Adapters: the PEFT folders given; by default the newest adapter of each trained LoRA run
 * under runs/lora-vs-full (lora-s1…, made by lora-vs-full.sh) and three seeded random adapters
 * (r 8, alpha 16, every module: A as PEFT initialises it, B ~ N(0, 0.02²)).
 * Resumable: each adapter's result is kept in OUT/<name>.json. Run from the repository root:
 *   nice -n 5 node --import tsx scripts/experiments/lora-gguf-agreement.ts [OUT] [--base zoo/base-m] [ADAPTER_DIR…]
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import {
  exportGguf, exportGgufLora, formatFormatError, latestCheckpoint, loadCheckpoint, readPeftAdapter, resolveZooPath, writePeftAdapter, writeTextAtomic,
  type Checkpoint, type Result,
} from "../../src/formats/index.js";
import { createLoraAdapter, Llama, LORA_MODULES, viewParameters, type LoraAdapter } from "../../src/model/index.js";
import { createRng } from "../../src/random/index.js";
import { loadKernels, type Kernels } from "../../src/tensor/index.js";
import { mergeLora } from "../../src/weights/index.js";
import { DEFAULT_WORLD, tasks } from "../../src/world/index.js";

const args = process.argv.slice(2);
const out = args[0] && !args[0].startsWith("--") ? args.shift()! : "runs/lora-gguf-agreement";
const bi = args.indexOf("--base");
const baseGiven = bi >= 0 ? args.splice(bi, 2)[1] : "zoo/base-m";
const T = 250;

const unwrap = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(formatFormatError(r.error));
  return r.value;
};

await mkdir(out, { recursive: true });
const baseDir = resolveZooPath(baseGiven);
const base: Checkpoint = unwrap(await loadCheckpoint(baseDir));
const { config, tokenizer: tok } = base;
const baseGguf = join(out, "base.gguf");
if (!existsSync(baseGguf)) unwrap(await exportGguf(baseDir, baseGguf, { dtype: "f32" }));

// T tokens of chat-framed arithmetic items with their answers (what an sft adapter was trained on)
const items = tasks.arithmetic.items({ config: DEFAULT_WORLD.arithmetic, seed: 4242, split: "id", n: 40 });
const text = items.map((it) => `<|user|>${it.prompt}<|end|><|assistant|>${it.answerText}<|end|>`).join("");
const tokens = Int32Array.from([tok.bos, ...tok.encode(text, { allowSpecial: true })].slice(0, T));
if (tokens.length < T) throw new Error(`only ${tokens.length} tokens of text`);
const V = config.vocabSize;

/** The adapters to check, by name. */
async function adapters(): Promise<[string, string][]> {
  if (args.length) return args.map((d, i) => [`given-${i + 1}`, d]);
  const runs = "runs/lora-vs-full";
  const found: [string, string][] = [];
  for (const r of existsSync(runs) ? readdirSync(runs).filter((n) => /^lora-s\d+$/.test(n)).sort() : []) {
    const ck = await latestCheckpoint(join(runs, r));
    if (ck && existsSync(join(ck, "adapter", "adapter_config.json"))) found.push([r, join(ck, "adapter")]);
  }
  // and always three seeded random adapters on every module (k_proj and the MLP included)
  for (const seed of [1, 2, 3]) {
    const dir = join(out, `random-s${seed}`);
    if (!existsSync(join(dir, "adapter_config.json"))) {
      // A as PEFT initialises it; B non-zero (a trained adapter's), N(0, 0.02²)
      const a = createLoraAdapter(config, { r: 8, alpha: 16, dropout: 0, targetModules: [...LORA_MODULES] }, createRng(seed));
      const rng = createRng(1000 + seed);
      for (const layer of a.layers) for (const m of LORA_MODULES) layer[m]!.B.forEach((_, i, B) => (B[i] = 0.02 * rng.normal()));
      await writePeftAdapter(dir, a, { baseModel: baseDir });
    }
    found.push([`random-s${seed}`, dir]);
  }
  return found;
}

function engineLogprobs(kernels: Kernels, adapter: LoraAdapter | null, how: "attached" | "merged"): Float64Array {
  const model = Llama.f32(config, kernels);
  model.params.flat.set(base.params);
  if (adapter && how === "attached") model.attachLora(adapter);
  if (adapter && how === "merged") mergeLora(viewParameters(config, model.params.flat).byName, adapter, 1);
  model.forward({ B: 1, T, tokens, targets: new Int32Array(T), mask: null });
  return Float64Array.from(model.lastProbs(), Math.log);
}

const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
async function cppLogprobs(lora: string | null): Promise<Float64Array> {
  const model = await llama.loadModel({ modelPath: baseGguf, gpuLayers: 0 });
  try {
    const ctx = await model.createContext({
      contextSize: config.contextLength, batchSize: config.contextLength, sequences: 1, threads: 1, flashAttention: false,
      experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32", ...(lora ? { lora: { adapters: [{ filePath: lora, scale: 1 }] } } : {}),
    });
    const res = await ctx.getSequence().controlledEvaluate([...tokens].map((t) => [t as Token, { generateNext: { probabilities: true } }]));
    const lp = new Float64Array(T * V);
    for (let p = 0; p < T; p++) {
      const probs = res[p]?.next.probabilities;
      if (!probs) throw new Error(`position ${p}: no probabilities`);
      for (let v = 0; v < V; v++) lp[p * V + v] = Math.log(probs.get(v as Token) ?? 0);
    }
    await ctx.dispose();
    return lp;
  } finally {
    await model.dispose();
  }
}

/** Worst |Δ| over all T × V log-probs, and over the observed next tokens. */
function worst(a: Float64Array, b: Float64Array): { all: number; next: number } {
  let all = 0;
  let next = 0;
  for (let p = 0; p < T; p++) {
    for (let v = 0; v < V; v++) all = Math.max(all, Math.abs(a[p * V + v] - b[p * V + v]));
    if (p + 1 < T) next = Math.max(next, Math.abs(a[p * V + tokens[p + 1]] - b[p * V + tokens[p + 1]]));
  }
  return { all, next };
}

const { kernels } = await loadKernels();
const kernelName = kernels.name;
const baseEngine = engineLogprobs(kernels, null, "merged");
const floor = worst(await cppLogprobs(null), baseEngine);
const rows: string[] = [];
for (const [name, dir] of await adapters()) {
  const file = join(out, `${name}.json`);
  if (!existsSync(file)) {
    const adapter = unwrap(await readPeftAdapter(dir, config));
    const gguf = join(out, `${name}.gguf`);
    unwrap(await exportGgufLora(dir, gguf, { dtype: "f32", base: baseDir }));
    const cpp = await cppLogprobs(gguf);
    const attached = engineLogprobs(kernels, adapter, "attached");
    const merged = engineLogprobs(kernels, adapter, "merged");
    const r = {
      adapter: dir, r: adapter.config.r, alpha: adapter.config.alpha, modules: adapter.config.targetModules, T, V, kernels: kernelName,
      cppVsAttached: worst(cpp, attached), cppVsMerged: worst(cpp, merged), attachedVsMerged: worst(attached, merged), adapterEffect: worst(merged, baseEngine),
    };
    await writeTextAtomic(file, JSON.stringify(r, null, 2) + "\n");
  }
  const r = JSON.parse(readFileSync(file, "utf8"));
  const e = (x: { all: number; next: number }) => `${x.all.toExponential(2)} / ${x.next.toExponential(2)}`;
  rows.push(`| ${name} | r ${r.r}, α ${r.alpha}, ${r.modules.join("+")} | ${e(r.cppVsAttached)} | ${e(r.cppVsMerged)} | ${e(r.attachedVsMerged)} | ${r.adapterEffect.all.toFixed(2)} / ${r.adapterEffect.next.toFixed(2)} |`);
}
await llama.dispose();
const table = [
  `base ${baseGiven} (${baseDir}), T = ${T} positions × V = ${V} tokens, engine kernels: ${kernelName}; cells: worst |Δ log p| over all T·V log-probs / over the T observed next tokens`,
  `llama.cpp (base GGUF alone) vs engine (base): ${floor.all.toExponential(2)} / ${floor.next.toExponential(2)}`,
  "",
  "| adapter | config | llama.cpp+LoRA vs engine attached | llama.cpp+LoRA vs engine merged | attached vs merged | adapter's effect (merged vs base) |",
  "|---|---|---|---|---|---|",
  ...rows,
].join("\n");
await writeTextAtomic(join(out, "agreement.md"), table + "\n");
console.log(table);
