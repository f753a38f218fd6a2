/**
 * The bench's real-sized model (issue "real models in and out": "a randomly initialised
 * llama of ~100M parameters with a 32k BPE vocabulary, HF layout (bf16, sharded) and GGUF
 * (q8_0) … made by a script at bench time, never shipped or in CI").
 *
 * Made here, in order, all seeded:
 *   1. a byte-level BPE tokenizer (Sennrich et al. 2016; GPT-2's byte-level variant) of
 *      up to 32,000 tokens, trained by the lab's `trainBpe` on a synthetic corpus: the
 *      world's pre-training documents plus sentences of generated pseudo-words (the world
 *      text alone has too few distinct pairs to fill 32k; the pseudo-word lexicon is sized
 *      so that every word recurs);
 *   2. a llama (dim 768, 12 layers, 12 heads, ffn 2048, tied embeddings, context 1024:
 *      109,529,856 parameters at 32,000 tokens) with the engine's GPT-2 initialisation;
 *   3. the base in HF layout, bf16, sharded (model-0000i-of-0000n.safetensors +
 *      model.safetensors.index.json, config.json with torch_dtype bfloat16, tokenizer.json …)
 *      and as a q8_0 GGUF (exportGguf, llama.cpp's Q8_0 blocks);
 *   4. a "tuned" model: the base plus seeded Gaussian noise (σ = 0.002, a tenth of the init
 *      scale) on every matrix, in the same two layouts, so an audit has a pair to compare.
 *
 * Cached under runs/bench-model/<key>/ (git-ignored), key = hash of the recipe below: the
 * folder is built in a temp folder and renamed, and reused only when manifest.json's
 * sha256 of every file still matches. Standalone: `npx tsx bench/make-bench-model.ts`
 * (prints the paths; `--out DIR` for another cache folder, `--force` to rebuild).
 */
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadKernels } from "../src/tensor/index.js";
import { createRng, sha256Text, type Rng } from "../src/random/index.js";
import { Llama, numel, parameterTable, totalParameters, viewParameters, type ModelConfig, type Tokenizer } from "../src/model/index.js";
import {
  exportGguf, replaceDirAtomic, toGenerationConfig, toHfConfig, toTokenizerConfig, toTokenizerJson, writeSafetensorsModelStream, writeTextAtomic,
} from "../src/formats/index.js";
import { corpusDocuments, trainBpeReport } from "../src/train/index.js";
import { DEFAULT_WORLD } from "../src/world/index.js";

/** Everything that decides the files: a change here is a new cache key. */
export interface BenchRecipe {
  name: string;
  version: number;
  seed: number;
  vocabSize: number;
  dim: number; nLayers: number; nHeads: number; ffnDim: number; contextLength: number; tiedEmbeddings: boolean;
  worldDocs: number; lexicon: number; sentences: number;
  maxShardBytes: number;
  perturbStd: number;
}

export const BENCH_100M: BenchRecipe = {
  name: "bench-100m",
  version: 1, // bump when the way the files are made changes
  seed: 1,
  vocabSize: 32_000,
  dim: 768, nLayers: 12, nHeads: 12, ffnDim: 2048, contextLength: 1024, tiedEmbeddings: true,
  /** world documents in the tokenizer corpus, and pseudo-word sentences beside them */
  worldDocs: 4000, lexicon: 48_000, sentences: 120_000,
  /** ~100 MB per shard: 3 shards of bf16 weights */
  maxShardBytes: 100_000_000,
  perturbStd: 0.002,
};

export interface BenchModel {
  dir: string;
  base: { hf: string; gguf: string };
  tuned: { hf: string; gguf: string };
  manifest: Manifest;
  reused: boolean;
}

interface Manifest {
  recipe: BenchRecipe;
  key: string;
  parameters: number;
  vocab: { reached: number; asked: number; stopped: string; merges: number; corpus: { distinctWords: number; words: number } };
  files: Record<string, string>; // relative path → sha256
}

const FILES = { baseHf: "base", baseGguf: "base.q8_0.gguf", tunedHf: "tuned", tunedGguf: "tuned.q8_0.gguf" } as const;

export const benchConfig = (r: BenchRecipe, vocabSize: number): ModelConfig => ({
  vocabSize, dim: r.dim, nLayers: r.nLayers, nHeads: r.nHeads, nKvHeads: r.nHeads,
  ffnDim: r.ffnDim, contextLength: r.contextLength, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: r.tiedEmbeddings,
});

// ---- 1. the tokenizer corpus

const ONSETS = ["", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "ch", "dr", "fl", "gr", "kl", "pr", "sh", "st", "th", "tr"];
const VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"];
const CODAS = ["", "", "", "n", "r", "s", "l", "m", "t", "x", "nd", "rk", "st"];

/** A pronounceable pseudo-word of 1–4 syllables. */
function pseudoWord(rng: Rng): string {
  const syllables = 1 + rng.int(4);
  let w = "";
  for (let s = 0; s < syllables; s++) w += ONSETS[rng.int(ONSETS.length)] + VOWELS[rng.int(VOWELS.length)] + CODAS[rng.int(CODAS.length)];
  return w;
}

/**
 * The tokenizer's texts: world documents, then sentences of pseudo-words drawn Zipf-like
 * (rank r with weight 1/r) from a seeded lexicon, every word at least three times.
 */
export function benchCorpus(r: BenchRecipe = BENCH_100M): string[] {
  const texts = corpusDocuments({ ...DEFAULT_WORLD, seed: r.seed }, { knowledge: 1, arithmetic: 1 }, r.worldDocs).map((d) => d.text);
  const rng = createRng(r.seed + 101);
  const lexicon = [...new Set(Array.from({ length: r.lexicon * 2 }, () => pseudoWord(rng)))].slice(0, r.lexicon);
  // the cumulative Zipf weights, for drawing by binary search
  const cum = new Float64Array(lexicon.length);
  let acc = 0;
  lexicon.forEach((_, i) => (cum[i] = acc += 1 / (i + 1)));
  const draw = (): string => {
    const u = rng.next() * acc;
    let lo = 0, hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lexicon[lo];
  };
  const sentence = (words: string[]): string => {
    const s = words.join(" ");
    return s.charAt(0).toUpperCase() + s.slice(1) + (rng.int(5) === 0 ? "?" : ".");
  };
  for (let i = 0; i < r.sentences; i++) texts.push(sentence(Array.from({ length: 6 + rng.int(10) }, draw)));
  // every lexicon word recurs: three listing passes, eight words a line
  for (let pass = 0; pass < 3; pass++) for (let i = 0; i < lexicon.length; i += 8) texts.push(sentence(lexicon.slice(i, i + 8)));
  return texts;
}

// ---- 3. writing one model in HF layout (bf16, sharded)

async function writeHfBf16(dir: string, config: ModelConfig, tok: Tokenizer, params: Float32Array, maxShardBytes: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const table = parameterTable(config);
  const views = viewParameters(config, params).byName;
  await writeSafetensorsModelStream(
    dir,
    table.map((s) => ({ name: s.name, shape: s.shape, dtype: "BF16" as const })),
    async (i) => views.get(table[i].name)!,
    { metadata: { format: "pt" }, maxShardBytes },
  );
  const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
  await writeTextAtomic(join(dir, "config.json"), json({ ...toHfConfig(config, tok), torch_dtype: "bfloat16" }));
  await writeTextAtomic(join(dir, "tokenizer.json"), json(toTokenizerJson(tok)));
  await writeTextAtomic(join(dir, "tokenizer_config.json"), json(toTokenizerConfig(tok, config)));
  await writeTextAtomic(join(dir, "generation_config.json"), json(toGenerationConfig(tok)));
}

// ---- the cache

async function fileSha256(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

async function hashFolder(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const e of (await readdir(join(dir, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p);
      else if (p !== "manifest.json") out[p] = await fileSha256(join(dir, p));
    }
  };
  await walk("");
  return out;
}

/** The manifest of a cached folder when every recorded file is there with its recorded hash, else null. */
async function verified(dir: string, key: string): Promise<Manifest | null> {
  let m: Manifest;
  try {
    m = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Manifest;
  } catch {
    return null;
  }
  if (m.key !== key) return null;
  const now = await hashFolder(dir).catch(() => null);
  if (!now) return null;
  const want = Object.entries(m.files);
  return want.length === Object.keys(now).length && want.every(([p, h]) => now[p] === h) ? m : null;
}

const paths = (dir: string): Omit<BenchModel, "manifest" | "reused"> => ({
  dir,
  base: { hf: join(dir, FILES.baseHf), gguf: join(dir, FILES.baseGguf) },
  tuned: { hf: join(dir, FILES.tunedHf), gguf: join(dir, FILES.tunedGguf) },
});

/** The bench model under `root` (default runs/bench-model): the cached one when its hashes match, else built now. */
export async function makeBenchModel(opts: { root?: string; force?: boolean; log?: (line: string) => void; recipe?: BenchRecipe } = {}): Promise<BenchModel> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const r = opts.recipe ?? BENCH_100M;
  const key = `${r.name}-${sha256Text(JSON.stringify(r)).slice(0, 12)}`;
  const dir = resolve(opts.root ?? "runs/bench-model", key);
  if (!opts.force) {
    const m = await verified(dir, key);
    if (m) {
      log(`bench model: ${dir} (cached; ${m.parameters.toLocaleString("en-US")} parameters, ${m.vocab.reached} tokens; hashes match)`);
      return { ...paths(dir), manifest: m, reused: true };
    }
  }
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
  let manifest!: Manifest;
  await mkdir(resolve(dir, ".."), { recursive: true });
  await replaceDirAtomic(dir, async (tmp) => {
    const p = paths(tmp);
    log(`bench model: building in ${tmp}`);
    const texts = benchCorpus(r);
    log(`  corpus: ${texts.length} texts (${r.worldDocs} world documents + pseudo-word sentences) [${since()}]`);
    const bpe = trainBpeReport(texts, { vocabSize: r.vocabSize });
    const tok = bpe.tokenizer;
    log(`  tokenizer: byte-level BPE, ${tok.size} tokens of ${r.vocabSize} asked (${bpe.stopped}) [${since()}]`);
    const config = benchConfig(r, tok.size);
    const { kernels } = await loadKernels();
    const model = Llama.f32(config, kernels);
    model.initialize(createRng(r.seed));
    const params = model.params.flat;
    log(`  llama: dim ${config.dim}, ${config.nLayers} layers, ffn ${config.ffnDim}, vocab ${config.vocabSize}: ${totalParameters(config).toLocaleString("en-US")} parameters [${since()}]`);
    await writeHfBf16(p.base.hf, config, tok, params, r.maxShardBytes);
    log(`  base: HF bf16 shards written [${since()}]`);
    const e1 = await exportGguf(p.base.hf, p.base.gguf, { dtype: "q8_0", name: r.name });
    if (!e1.ok) throw new Error(`exportGguf (base): ${JSON.stringify(e1.error)}`);
    log(`  base: q8_0 GGUF written [${since()}]`);
    // the "tuned" arm: every matrix moved by seeded noise (norm gains kept)
    const noise = createRng(r.seed + 202);
    let off = 0;
    for (const s of parameterTable(config)) {
      const n = numel(s.shape);
      if (s.shape.length === 2) for (let i = off; i < off + n; i++) params[i] += r.perturbStd * noise.normal();
      off += n;
    }
    await writeHfBf16(p.tuned.hf, config, tok, params, r.maxShardBytes);
    const e2 = await exportGguf(p.tuned.hf, p.tuned.gguf, { dtype: "q8_0", name: `${r.name}-tuned` });
    if (!e2.ok) throw new Error(`exportGguf (tuned): ${JSON.stringify(e2.error)}`);
    log(`  tuned (base + N(0, ${r.perturbStd}) on every matrix): HF bf16 + q8_0 GGUF written [${since()}]`);
    manifest = {
      recipe: r, key, parameters: totalParameters(config),
      vocab: { reached: tok.size, asked: r.vocabSize, stopped: bpe.stopped, merges: tok.merges.length, corpus: { distinctWords: bpe.words.distinct, words: bpe.words.total } },
      files: await hashFolder(tmp),
    };
    await writeFile(join(tmp, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  });
  log(`bench model: ${dir} [${since()}]`);
  return { ...paths(dir), manifest, reused: false };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const out = a.includes("--out") ? a[a.indexOf("--out") + 1] : undefined;
  const m = await makeBenchModel({ root: out, force: a.includes("--force") });
  console.log(JSON.stringify({ dir: m.dir, base: m.base, tuned: m.tuned, parameters: m.manifest.parameters, vocab: m.manifest.vocab }, null, 2));
}
