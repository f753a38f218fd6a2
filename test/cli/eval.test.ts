/**
 * `ftledger lab eval` end to end on tiny random checkpoints, run from the sources (tsx),
 * so it needs no build: the printed table's shape, the JSON file's content (records,
 * summaries, a self-vs-self comparison that finds nothing), and exit code 2 with a
 * message naming the bad option or spec.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ftledger } from "./run-cli.js";
import { createTsKernels } from "../../src/tensor/index.js";
import { CharTokenizer, Llama, createRng, type ModelConfig } from "../../src/model/index.js";
import { saveCheckpoint } from "../../src/formats/index.js";


const tok = new CharTokenizer();
const config: ModelConfig = {
  vocabSize: tok.size, dim: 32, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnDim: 48,
  contextLength: 256, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
};
let dir = "";

async function randomCheckpoint(path: string, seed: number): Promise<void> {
  const m = Llama.f32(config, createTsKernels());
  m.initialize(createRng(seed), 0.3);
  const r = await saveCheckpoint(path, { config, params: m.params.flat, tokenizer: tok });
  if (!r.ok) throw new Error("save failed");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-eval-"));
  await randomCheckpoint(join(dir, "a"), 1);
  await randomCheckpoint(join(dir, "b"), 2);
});

const PERCENT = String.raw`\d+\.\d% \[\d+\.\d, \d+\.\d\]`;
const PROPORTION = String.raw`\d+/\d+ = ${PERCENT}`;

describe("ftledger lab eval", () => {
  it("prints k/n = p% [lo, hi] per metric and model, pairs later models with the first, and writes the JSON", async () => {
    const a = `builtin:${join(dir, "a")}`;
    const b = `builtin:${join(dir, "b")}`;
    const json = join(dir, "eval.json");
    const r = ftledger("lab", "eval", a, b, a, "--n", "6", "--samples", "2", "--seed", "3", "--json", json);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("lab eval: 6 id items per task (world seed 3), frame raw; 95% Wilson intervals");
    for (const label of ["arithmetic accuracy \\(greedy\\)", "knowledge recall \\(ranking\\)", "knowledge recall \\(generation\\)"]) {
      expect(lines.filter((l) => new RegExp(`^  ${label} +${PROPORTION}$`).test(l))).toHaveLength(3);
      expect(lines.filter((l) => new RegExp(`^  ${label} +[+−]\\d+\\.\\d pp \\[[+−]\\d+\\.\\d, [+−]\\d+\\.\\d\\]  McNemar p = \\S+ \\(lost \\d+, gained \\d+\\)$`).test(l))).toHaveLength(2);
    }
    for (const f of ["natural", "code", "terse", "answer-only", "unknown"]) {
      expect(lines.filter((l) => new RegExp(`^    ${f} +\\d+/12 = ${PERCENT}$`).test(l))).toHaveLength(3);
    }
    expect(r.stdout).toContain(`[1] ${a}  (builtin:`);
    expect(r.stdout).toMatch(/\[2\] − \[1\], paired on the same items \(pp, 95% paired bootstrap: 10000 resamples, seed 3; exact McNemar\)/);
    expect(r.stderr).toMatch(/arithmetic \(greedy\) 6\/6/);

    const doc = JSON.parse(await readFile(json, "utf8"));
    expect(doc.options).toEqual({ n: 6, seed: 3, split: "id", frames: ["raw"], samples: 2 });
    expect(doc.seeds).toEqual({ world: 3, sampling: 3, bootstrap: 3 });
    expect(doc.items.arithmetic).toEqual(Array.from({ length: 6 }, (_, i) => `arithmetic/id/3/${i}`));
    expect(doc.models.map((m: { spec: string }) => m.spec)).toEqual([a, b, a]);
    const [m1, , m3] = doc.models;
    expect(m1.records.arithmetic).toHaveLength(6);
    expect(m1.records.arithmetic[0]).toMatchObject({ id: "arithmetic/id/3/0", correct: expect.any(Boolean), response: expect.any(String) });
    expect(m1.records.knowledgeRanking[0]).toMatchObject({ id: "knowledge/id/3/0", goldRank: expect.any(Number), chosen: expect.any(String) });
    expect(m1.records.formats).toHaveLength(12);
    const k = m1.records.arithmetic.filter((x: { correct: boolean }) => x.correct).length;
    expect(m1.summary.arithmetic).toMatchObject({ k, n: 6, confidence: 0.95 });
    const shareSum = Object.values(m1.summary.formats as Record<string, { p: number }>).reduce((s, x) => s + x.p, 0);
    expect(shareSum).toBeCloseTo(1, 12);
    // the same model twice: the same records, and a comparison that finds nothing
    expect(m3.records).toEqual(m1.records);
    const self = doc.comparisons[1];
    expect(self).toMatchObject({ base: a, tuned: a });
    for (const metric of ["arithmetic", "knowledgeRanking", "knowledgeGeneration"]) {
      expect(self.metrics[metric].difference).toMatchObject({ meanDifference: 0, lo: 0, hi: 0, seed: 3, iterations: 10_000 });
      expect(self.metrics[metric].mcnemar).toMatchObject({ b: 0, c: 0, p: 1 });
    }
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("sends the chat frame and measures the other splits", () => {
    const r = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "--n", "3", "--split", "n1", "--frame", "chat");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^lab eval: 3 n1 items per task \(world seed 1\), frame chat/);
  });

  it("measures in the world given by --world (a settings file or a run folder), naming a bad field", async () => {
    const a = `builtin:${join(dir, "a")}`;
    const file = join(dir, "world.json");
    await writeFile(file, JSON.stringify({ seed: 4, arithmetic: { maxSteps: 4, operandMax: 49 } }));
    const json = join(dir, "world-eval.json");
    const r = ftledger("lab", "eval", a, "--n", "2", "--world", file, "--json", json);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/world seed 4, world settings from --world/);
    const doc = JSON.parse(await readFile(json, "utf8"));
    expect(doc.options.world.arithmetic).toMatchObject({ maxSteps: 4, operandMax: 49, minSteps: 1 });
    expect(doc.items.arithmetic[0]).toBe("arithmetic/id/4/0");
    await writeFile(file, JSON.stringify({ arithmetic: { maxSteps: 40 } }));
    const bad = ftledger("lab", "eval", a, "--world", file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--world .*world\.json: arithmetic\.maxSteps: /);
    // a run folder: the world its recipe was trained in
    const run = await mkdtemp(join(dir, "run-"));
    await writeFile(join(run, "run.json"), JSON.stringify({ recipe: "sft", recipeConfig: { world: { seed: 6, knowledge: { entities: 12 } } } }));
    const fromRun = ftledger("lab", "eval", a, "--n", "1", "--world", run);
    expect(fromRun.code, fromRun.stderr).toBe(0);
    expect(fromRun.stdout).toMatch(/world seed 6, world settings from --world/);
    const missing = ftledger("lab", "eval", a, "--world", join(dir, "nope.json"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json/);
  });

  it("takes one frame per model (a base in its pre-training frame, its sft in chat)", () => {
    const a = `builtin:${join(dir, "a")}`;
    const r = ftledger("lab", "eval", a, a, "--n", "2", "--frame", "raw,chat");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/frame raw,chat; 95% Wilson/);
    expect(r.stdout).toMatch(/\[1\] .*; frame raw; /);
    expect(r.stdout).toMatch(/\[2\] .*; frame chat; /);
    const bad = ftledger("lab", "eval", a, a, a, "--frame", "raw,chat");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--frame raw,chat: give one frame for all 3 models or one per model/);
  });

  it("exits 2 naming a bad option value, a bad spec, or a missing --json folder", () => {
    const split = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "--split", "test");
    expect(split.code).toBe(2);
    expect(split.stderr).toMatch(/--split must be one of id, n1, ood, got "test"/);
    const n = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "--n", "0");
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/--n must be an integer ≥ 1, got "0"/);
    const frame = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "--frame", "json");
    expect(frame.code).toBe(2);
    expect(frame.stderr).toMatch(/--frame must be one of raw, chat/);
    const spec = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "nope:x");
    expect(spec.code).toBe(2);
    expect(spec.stderr).toMatch(/cannot open nope:x: "nope:x" is not a model spec; use one of: builtin:PATH/);
    const missing = ftledger("lab", "eval", `builtin:${join(dir, "missing")}`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such folder; give an HF-layout model folder or a lab run folder/);
    const json = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "--json", join(dir, "no", "such", "x.json"));
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/--json .*: the folder .* does not exist; create it or give another path/);
    expect(existsSync(join(dir, "no"))).toBe(false);
  });
});
