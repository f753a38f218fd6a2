/**
 * `merge` end to end on tiny folders: the YAML subset (parameters, filters, gradients), the
 * written folder (loadable, dtype, shards, manifest, model card), and bad input that must
 * name the field or tensor, exit 2 and leave no output folder.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, truncate, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpoint, openSafetensorsModel } from "../../src/formats/index.js";
import {
  depthOf, formatWeightsError, interpolate, parseMergeConfig, resolveParam, runMerge, WEIGHTS_MANIFEST, type MergeConfig,
} from "../../src/weights/index.js";
import { ftledger } from "../cli/run-cli.js";
import { saveModel, seededParams, slot, tempDir, TINY } from "./models.js";

const dir = await tempDir("merge");
const base = seededParams(TINY, 1);
const a = seededParams(TINY, 2);
const b = seededParams(TINY, 3);
await saveModel(join(dir, "base"), base);
await saveModel(join(dir, "a"), a);
await saveModel(join(dir, "b"), b);
const Q0 = "model.layers.0.self_attn.q_proj.weight";

function config(text: string): MergeConfig {
  const r = parseMergeConfig(text, "test.yaml");
  if (!r.ok) throw new Error(formatWeightsError(r.error));
  return r.value;
}

async function merged(text: string, out: string, maxShardBytes?: number) {
  const r = await runMerge(config(text), { configFile: "test.yaml", out: join(dir, out), ...(maxShardBytes ? { maxShardBytes } : {}) });
  if (!r.ok) throw new Error(formatWeightsError(r.error));
  const ck = await loadCheckpoint(join(dir, out));
  if (!ck.ok) throw new Error("the merged folder does not load");
  return { result: r.value, params: ck.value.params };
}

describe("parameters: values, gradients and filters", () => {
  it("interpolates a gradient over the layers and picks the first matching filter", () => {
    expect(interpolate([0, 1], 0.25)).toBeCloseTo(0.25, 12);
    expect(interpolate([0, 0.5, 1], 0.75)).toBeCloseTo(0.75, 12);
    expect(interpolate([2], 0.9)).toBe(2);
    expect(depthOf(0, "q", 3)).toBe(0);
    expect(depthOf(2, "q", 3)).toBe(1);
    expect(depthOf(null, "embed", 3)).toBe(0);
    expect(depthOf(null, "lm_head", 3)).toBe(1);
    const v = [{ filter: "self_attn", value: [0, 1] }, { value: 0.3 }];
    expect(resolveParam(v, "model.layers.1.self_attn.q_proj.weight", 1)).toBe(1);
    expect(resolveParam(v, "model.layers.1.mlp.up_proj.weight", 1)).toBe(0.3);
    expect(resolveParam([{ filter: "mlp", value: 1 }], "model.norm.weight", 1)).toBeUndefined();
  });
});

describe("merge writes a loadable folder", () => {
  it("linear: the weighted mean of the models, with the base's config and tokenizer", async () => {
    const { result, params } = await merged(`merge_method: linear\nmodels:\n  - model: ${join(dir, "a")}\n    parameters: { weight: 3 }\n  - model: ${join(dir, "b")}\n    parameters: { weight: 1 }\n`, "linear");
    for (const i of [0, 17, base.length - 1]) expect(params[i]).toBeCloseTo((3 * a[i] + b[i]) / 4, 6);
    const files = await readdir(join(dir, "linear"));
    expect(files).toEqual(expect.arrayContaining(["config.json", "tokenizer.json", "model.safetensors", WEIGHTS_MANIFEST, "README.md"]));
    const manifest = JSON.parse(await readFile(join(dir, "linear", WEIGHTS_MANIFEST), "utf8"));
    expect(manifest).toMatchObject({ kind: "merge", method: "linear", seed: 1 });
    expect(result.tensors).toBe(2 + 9 * TINY.nLayers + 1);
  });

  it("task_arithmetic with a filtered weight: attention tensors take one weight, the rest another", async () => {
    const text = `merge_method: task_arithmetic\nbase_model: ${join(dir, "base")}\nmodels:\n  - model: ${join(dir, "a")}\n    parameters:\n      weight: [{ filter: self_attn, value: 0.5 }, { value: 0 }]\n`;
    const { params } = await merged(text, "ta");
    const q = slot(TINY, Q0);
    const up = slot(TINY, "model.layers.0.mlp.up_proj.weight");
    expect(params[q.offset + 3]).toBeCloseTo(base[q.offset + 3] + 0.5 * (a[q.offset + 3] - base[q.offset + 3]), 6);
    expect(params[up.offset + 3]).toBe(base[up.offset + 3]);
  });

  it("leaves out a listed model that is base_model, writes bf16 and shards when asked", async () => {
    const text = `merge_method: ties\nbase_model: ${join(dir, "base")}\nmodels:\n  - model: ${join(dir, "base")}\n  - model: ${join(dir, "a")}\n    parameters: { density: 1 }\ndtype: bfloat16\n`;
    const { result } = await merged(text, "ties", 4096);
    expect(result.notes.join(" ")).toMatch(/left out 1 listed model/);
    expect((await readdir(join(dir, "ties"))).filter((f) => f.startsWith("model-")).length).toBeGreaterThan(1);
    const src = await openSafetensorsModel(join(dir, "ties"));
    if (!src.ok) throw new Error("open");
    expect(src.value.info(Q0)!.dtype).toBe("BF16");
    await src.value.close();
  });

  it("reads bf16 sharded inputs", async () => {
    await saveModel(join(dir, "b-bf16"), b, { dtype: "BF16", maxShardBytes: 4096 });
    const { params } = await merged(`merge_method: linear\nmodels:\n  - model: ${join(dir, "a")}\n  - model: ${join(dir, "b-bf16")}\n`, "mixed");
    // b went through bf16 (8 significant bits): the mean moves by at most half of b's rounding
    for (const i of [0, 99, base.length - 1]) expect(Math.abs(params[i] - (a[i] + b[i]) / 2)).toBeLessThanOrEqual(Math.abs(b[i]) * 2 ** -9 + 1e-7);
  });

  it("dare_ties is seeded: the same seed gives the same bytes, another seed other bytes", async () => {
    const yaml = (seed: number) => `merge_method: dare_ties\nbase_model: ${join(dir, "base")}\nmodels:\n  - model: ${join(dir, "a")}\n    parameters: { density: 0.5 }\n  - model: ${join(dir, "b")}\n    parameters: { density: 0.5 }\nseed: ${seed}\n`;
    const one = (await merged(yaml(1), "dare1")).params;
    const again = (await merged(yaml(1), "dare1b")).params;
    const other = (await merged(yaml(2), "dare2")).params;
    expect(Buffer.from(one.buffer).equals(Buffer.from(again.buffer))).toBe(true);
    expect(Buffer.from(one.buffer).equals(Buffer.from(other.buffer))).toBe(false);
  });
});

describe("bad input: a clear error, exit 2, no output folder", () => {
  const bad = async (name: string, yaml: string) => {
    const file = join(dir, `${name}.yaml`);
    await writeFile(file, yaml);
    const r = ftledger("merge", file, "--out", join(dir, `out-${name}`), "--quiet");
    expect(r.code).toBe(2);
    expect(existsSync(join(dir, `out-${name}`))).toBe(false);
    expect((await readdir(dir)).filter((f) => f.startsWith(`out-${name}`))).toEqual([]);
    return r.stderr;
  };

  it("names the YAML problem, the unknown key and the unknown method", async () => {
    expect(await bad("yaml", "merge_method: [\n")).toMatch(/yaml\.yaml: line \d+: not valid YAML/);
    // an unknown tag is only a warning to the yaml package: here an error with its line, not a guess
    const tag = await bad("tag", `merge_method: !!lineer linear\nmodels: [{ model: ${join(dir, "a")} }]\n`);
    expect(tag).toMatch(/tag\.yaml: line 1: not valid YAML: .*tag/i);
    expect(tag).not.toMatch(/YAMLWarning/);
    expect(await bad("key", `merge_method: linear\nmodels: [{ model: ${join(dir, "a")} }]\nweights: 1\n`)).toMatch(/unknown key\(s\) weights/);
    expect(await bad("method", `merge_method: magic\nmodels: [{ model: ${join(dir, "a")} }]\n`)).toMatch(/merge_method: unknown method "magic"; valid: linear, task_arithmetic, ties, dare_linear, dare_ties, slerp, cpi/);
    expect(await bad("slices", "slices: []\nmerge_method: linear\n")).toMatch(/slices: slices .* are not supported/);
    expect(await bad("nobase", `merge_method: ties\nmodels: [{ model: ${join(dir, "a")} }]\n`)).toMatch(/base_model: ties takes task vectors against a base/);
    expect(await bad("param", `merge_method: ties\nbase_model: ${join(dir, "base")}\nmodels: [{ model: ${join(dir, "a")}, parameters: { density: 7 } }]\n`)).toMatch(/models\[0\]\.parameters \(tensor "model\.embed_tokens\.weight"\): density/);
  });

  it("names the tensor whose shape differs", async () => {
    await saveModel(join(dir, "wide"), seededParams({ ...TINY, vocabSize: 120 }, 4), { config: { ...TINY, vocabSize: 120 } });
    const err = await bad("shape", `merge_method: linear\nmodels: [{ model: ${join(dir, "a")} }, { model: ${join(dir, "wide")} }]\n`);
    expect(err).toMatch(/tensor "model\.embed_tokens\.weight" has shape \[112, 16\] in .*a but \[120, 16\] in .*wide/);
  });

  it("names the truncated shard and its tensor", async () => {
    const cut = join(dir, "cut");
    await saveModel(cut, a, { maxShardBytes: 4096 });
    const shards = (await readdir(cut)).filter((f) => f.startsWith("model-")).sort();
    await truncate(join(cut, shards[shards.length - 1]), 100);
    const err = await bad("cut", `merge_method: linear\nmodels: [{ model: ${join(dir, "b")} }, { model: ${cut} }]\n`);
    expect(err).toMatch(/model-\d+-of-\d+\.safetensors: (the file is 100 bytes but tensor|the safetensors header claims)/);
  });

  it("refuses to replace a folder it did not write", async () => {
    await mkdir(join(dir, "precious"));
    await writeFile(join(dir, "precious", "keep.txt"), "x");
    const file = join(dir, "ok.yaml");
    await writeFile(file, `merge_method: linear\nmodels: [{ model: ${join(dir, "a")} }]\n`);
    const r = ftledger("merge", file, "--out", join(dir, "precious"), "--quiet");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/precious: the folder exists and was not written by ftledger/);
    expect(await readFile(join(dir, "precious", "keep.txt"), "utf8")).toBe("x");
  });
});

describe("a killed merge", () => {
  it("leaves no folder that looks complete, and the next run writes it", async () => {
    const { spawn } = await import("node:child_process");
    const big = { ...TINY, dim: 256, nLayers: 8, nHeads: 4, nKvHeads: 2, ffnDim: 512 };
    const kdir = await tempDir("killed");
    await saveModel(join(kdir, "base"), seededParams(big, 1), { config: big });
    await saveModel(join(kdir, "a"), seededParams(big, 2), { config: big });
    await saveModel(join(kdir, "b"), seededParams(big, 3), { config: big });
    const file = join(kdir, "ties.yaml");
    await writeFile(file, `merge_method: ties\nbase_model: ${join(kdir, "base")}\nmodels:\n  - model: ${join(kdir, "a")}\n    parameters: { density: 0.3 }\n  - model: ${join(kdir, "b")}\n    parameters: { density: 0.3 }\n`);
    const out = join(kdir, "merged");
    const root = join(import.meta.dirname, "..", "..");
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "src", "cli", "main.ts"), "merge", file, "--out", out, "--max-shard-mb", "2", "--quiet"], { cwd: root, stdio: "ignore" });
    let sawPartial = false;
    for (let i = 0; i < 2000 && !sawPartial; i++) {
      const tmp = (await readdir(kdir)).find((f) => f.startsWith("merged.tmp-"));
      if (tmp && (await readdir(join(kdir, tmp))).some((f) => f.startsWith("model-"))) sawPartial = true;
      else await new Promise((res) => setTimeout(res, 5));
    }
    child.kill("SIGKILL");
    await new Promise((res) => child.on("exit", res));
    expect(sawPartial).toBe(true); // killed while shards were being written
    expect(existsSync(out)).toBe(false);
    const again = ftledger("merge", file, "--out", out, "--max-shard-mb", "2", "--quiet");
    expect(again.code).toBe(0);
    expect((await loadCheckpoint(out)).ok).toBe(true);
    expect((await readdir(kdir)).filter((f) => f.startsWith("merged.tmp-"))).toEqual([]); // the killed run's leftovers are cleaned up
  });
});
