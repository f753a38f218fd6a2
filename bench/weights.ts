/**
 * `npm run bench:weights`: do diff and merge stream at disk speed with bounded memory?
 *
 *   1. write a synthetic sharded pair (base and tuned, BENCH_WEIGHTS_GB in all, default 2;
 *      float32 tensors of 4096 × 4096 = 64 MiB, shards of 512 MiB) into a temporary folder
 *   2. memcpy bandwidth: Buffer copies of one 64 MiB tensor (the ceiling for any streaming pass)
 *   3. `diff` (no spectra: they are a separate, compute-bound cost) and a TIES merge
 *      (density 0.2), each in a child process running the built package (dist/), so its peak
 *      RSS is its own (the process's RSS after loading the package is printed beside it)
 *
 * GB/s counts the input bytes read (both models). Targets (issue): ≥ 0.5× memcpy and a peak
 * RSS ≤ 3 × the largest tensor + 200 MB. The last line is machine-readable:
 *   weights diff_gb_per_s=… merge_gb_per_s=… memcpy_gb_per_s=… peak_rss_mb=…
 * Not run in CI (it writes ~3 GB). BENCH_WEIGHTS_KEEP=1 keeps the folder.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng } from "../src/random/index.js";
import { writeSafetensorsModelStream, writeTextAtomic } from "../src/formats/index.js";

const GB = Number(process.env.BENCH_WEIGHTS_GB ?? 2);
const SIDE = 4096;
const TENSOR_BYTES = SIDE * SIDE * 4;
const SHARD_BYTES = 512 * 1024 * 1024;
const perModel = Math.max(1, Math.round((GB * 1e9) / 2 / TENSOR_BYTES));

const dir = mkdtempSync(join(tmpdir(), "ftledger-bench-weights-"));
const child = fileURLToPath(new URL("./weights/child.mjs", import.meta.url));
if (!existsSync(fileURLToPath(new URL("../dist/weights/index.js", import.meta.url)))) {
  process.stderr.write("bench:weights runs the built package: run `npm run build` first\n");
  process.exit(2);
}

/** A llama-like folder: config.json and perModel q_proj-shaped tensors over as many layers. */
async function writeModel(path: string, seed: number, baseSeed?: number): Promise<void> {
  const plan = Array.from({ length: perModel }, (_, i) => ({ name: `model.layers.${i}.self_attn.q_proj.weight`, shape: [SIDE, SIDE] }));
  const config = { architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_size: SIDE, num_hidden_layers: perModel, num_attention_heads: 32, vocab_size: 32000 };
  await writeTextAtomic(join(path, "config.json"), JSON.stringify(config), { mkdir: true });
  await writeSafetensorsModelStream(path, plan, async (i) => {
    // the base: N(0, 0.02²); the tuned model: the base plus a small dense update
    const rb = createRng((baseSeed ?? seed) * 1000 + i);
    const x = new Float32Array(SIDE * SIDE);
    for (let j = 0; j < x.length; j++) x[j] = 0.02 * (rb.next() - 0.5);
    if (baseSeed !== undefined) {
      const rt = createRng(seed * 1000 + i);
      for (let j = 0; j < x.length; j++) x[j] += 0.001 * (rt.next() - 0.5);
    }
    return x;
  }, { maxShardBytes: SHARD_BYTES });
}

function memcpyGbPerS(): number {
  const a = Buffer.alloc(TENSOR_BYTES, 1);
  const b = Buffer.alloc(TENSOR_BYTES);
  a.copy(b); // warm
  const reps = 8;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) a.copy(b);
  return (reps * TENSOR_BYTES) / 1e9 / ((performance.now() - t0) / 1000);
}

function run(job: string, ...args: string[]): { seconds: number; maxRssMb: number; startRssMb: number } {
  const out = execFileSync(process.execPath, [child, job, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return JSON.parse(out.trim().split("\n").pop()!) as { seconds: number; maxRssMb: number; startRssMb: number };
}

try {
  process.stderr.write(`writing a synthetic pair: 2 × ${perModel} tensors of ${SIDE}×${SIDE} f32 (${((2 * perModel * TENSOR_BYTES) / 1e9).toFixed(2)} GB) in ${dir}\n`);
  await writeModel(join(dir, "base"), 1);
  await writeModel(join(dir, "tuned"), 2, 1);
  const inputGb = (2 * perModel * TENSOR_BYTES) / 1e9;
  const memcpy = memcpyGbPerS();
  // read once so both passes see the same page cache
  run("diff", join(dir, "base"), join(dir, "tuned"));
  const diff = run("diff", join(dir, "base"), join(dir, "tuned"));
  writeFileSync(join(dir, "ties.yaml"), `merge_method: ties\nbase_model: ${join(dir, "base")}\nmodels:\n  - model: ${join(dir, "tuned")}\n    parameters: { weight: 1, density: 0.2 }\n`);
  const merge = run("merge", join(dir, "ties.yaml"), join(dir, "merged"));
  const largestMb = TENSOR_BYTES / 1024 / 1024;
  const rows = [
    ["pass", "GB read", "seconds", "GB/s", "× memcpy", "peak RSS MB", "target RSS MB"],
    ["diff", inputGb.toFixed(2), diff.seconds.toFixed(2), (inputGb / diff.seconds).toFixed(2), (inputGb / diff.seconds / memcpy).toFixed(2), diff.maxRssMb.toFixed(0), (3 * largestMb + 200).toFixed(0)],
    ["merge (ties)", inputGb.toFixed(2), merge.seconds.toFixed(2), (inputGb / merge.seconds).toFixed(2), (inputGb / merge.seconds / memcpy).toFixed(2), merge.maxRssMb.toFixed(0), (3 * largestMb + 200).toFixed(0)],
  ];
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  for (const r of rows) process.stdout.write(r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join("  ") + "\n");
  process.stdout.write(`memcpy ${memcpy.toFixed(2)} GB/s (one 64 MiB Buffer copy); largest tensor ${largestMb} MiB; RSS after loading the package: ${diff.startRssMb.toFixed(0)} MB\n`);
  process.stdout.write(
    `weights diff_gb_per_s=${(inputGb / diff.seconds).toFixed(2)} merge_gb_per_s=${(inputGb / merge.seconds).toFixed(2)} memcpy_gb_per_s=${memcpy.toFixed(2)} peak_rss_mb=${Math.max(diff.maxRssMb, merge.maxRssMb).toFixed(0)}\n`,
  );
} finally {
  if (process.env.BENCH_WEIGHTS_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`kept ${dir}\n`);
}
