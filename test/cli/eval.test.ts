/**
 * `ftledger lab eval` (the audit's lab preset) end to end on tiny random checkpoints, run
 * from the sources (tsx), so it needs no build: the printed table's shape, the JSON file's
 * content (measures, the audit result, a self-vs-self ledger that finds nothing), and exit
 * code 2 with a message naming the bad option or spec.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ftledger } from "./run-cli.js";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
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

describe("ftledger lab eval (the audit's lab preset)", () => {
  it("prints k/n = p% [lo, hi] per measure and model, pairs later models with the first through the ledger, and writes the JSON", async () => {
    const a = `builtin:${join(dir, "a")}`;
    const b = `builtin:${join(dir, "b")}`;
    const json = join(dir, "eval.json");
    const store = join(dir, "store");
    const r = ftledger("lab", "eval", a, b, a, "--n", "6", "--samples", "2", "--seed", "3", "--json", json, "--store", store);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("lab eval: 6 id items per task (world seed 3), prompt format raw");
    expect(lines[1]).toMatch(/^lab: what a lab model can do on the world.* \(run [0-9a-f]{16}; 95% Wilson intervals\)$/);
    for (const label of ["arithmetic accuracy \\(greedy\\)", "knowledge recall \\(ranking\\)", "knowledge recall \\(generation\\)"]) {
      expect(lines.filter((l) => new RegExp(`^  ${label} +${PROPORTION}$`).test(l))).toHaveLength(3);
      expect(lines.filter((l) => new RegExp(`^  ${label} +[+-]\\d+\\.\\d pp \\[[+-]\\d+\\.\\d, [+-]\\d+\\.\\d\\]  p = \\S+  n = 6  \\S+`).test(l))).toHaveLength(2);
    }
    for (const f of ["natural", "code", "terse", "answer-only", "unknown"]) {
      expect(lines.filter((l) => new RegExp(`^    ${f} +\\d+/12 = ${PERCENT}$`).test(l))).toHaveLength(3);
    }
    expect(r.stdout).toContain(`[1] ${a}  (builtin:`);
    expect(r.stdout).toMatch(/\[2\] − \[1\], paired on the same items: the ledger's rows \(Δ with its adjusted CI, p adjusted \(Holm\) across all \d+ rows of the ledger\)/);
    expect(r.stdout).toContain(`the full ledger: npx ftledger view ${store}`);
    expect(r.stderr).toMatch(/base +task\.accuracy +12\/12/);

    const doc = JSON.parse(await readFile(json, "utf8"));
    expect(doc.options).toEqual({ n: 6, seed: 3, split: "id", formats: ["raw"], samples: 2, world: null });
    expect(doc.seeds).toEqual({ world: 3, sampling: 3, statistics: 3 });
    expect(doc.preset.probes).toEqual(["task.accuracy", "knowledge.retention", "format.collapse"]);
    expect(doc.audit.manifest.models.map((m: { spec: string }) => m.spec)).toEqual([a, b, a]);
    expect(doc.audit.manifest.items.sources).toEqual(["suite:arithmetic(n=6,world-seed=3,split=id)", "suite:knowledge(n=6,world-seed=3,split=id)"]);
    const [m1, , m3] = doc.measures;
    expect(m1.arm).toBe("base");
    expect(m1.measures[0]).toMatchObject({ measure: { label: "arithmetic accuracy (greedy)" }, interval: { n: 6, confidence: 0.95 } });
    expect(m1.formats.samples).toBe(12);
    const shareSum = Object.values(m1.formats.shares as Record<string, { p: number }>).reduce((s, x) => s + x.p, 0);
    expect(shareSum).toBeCloseTo(1, 12);
    // the same model twice: the same measures, and a ledger with no change on any row
    expect(m3.measures).toEqual(m1.measures);
    const self = doc.audit.ledgers[1];
    expect(self.spec).toBe(a);
    for (const row of self.rows) expect([row.delta === null || row.delta === 0, row.verdict]).toEqual([true, expect.not.stringMatching(/gained|lost/)]);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("measures other splits and prompt formats", () => {
    const r = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "--n", "3", "--split", "n1", "--format", "chat", "--store", join(dir, "store"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^lab eval: 3 n1 items per task \(world seed 1\), prompt format chat/);
    expect(r.stdout).toMatch(/\[1\] .*; prompt format chat\)/);
  });

  it("measures in the world given by --world (a settings file or a run folder), naming a bad field", async () => {
    const a = `builtin:${join(dir, "a")}`;
    const store = join(dir, "store");
    const file = join(dir, "world.json");
    await writeFile(file, JSON.stringify({ seed: 4, arithmetic: { maxSteps: 4, operandMax: 49 } }));
    const json = join(dir, "world-eval.json");
    const r = ftledger("lab", "eval", a, "--n", "2", "--world", file, "--json", json, "--store", store);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/world seed 4, world settings from --world/);
    const doc = JSON.parse(await readFile(json, "utf8"));
    expect(doc.audit.manifest.items.sources[0]).toBe("suite:arithmetic(n=2,world-seed=4,split=id)");
    await writeFile(file, JSON.stringify({ arithmetic: { maxSteps: 40 } }));
    const bad = ftledger("lab", "eval", a, "--world", file, "--store", store);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--world .*world\.json: arithmetic\.maxSteps: /);
    await writeFile(file, JSON.stringify({ sed: 3 }));
    const typo = ftledger("lab", "eval", a, "--world", file, "--store", store);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/--world .*world\.json: unknown setting\(s\) sed/);
    // a run folder: the world its recipe was trained in
    const run = await mkdtemp(join(dir, "run-"));
    await writeFile(join(run, "run.json"), JSON.stringify({ recipe: "sft", recipeConfig: { world: { seed: 6, knowledge: { entities: 12 } } } }));
    const fromRun = ftledger("lab", "eval", a, "--n", "1", "--world", run, "--store", store);
    expect(fromRun.code, fromRun.stderr).toBe(0);
    expect(fromRun.stdout).toMatch(/world seed 6, world settings from --world/);
    const missing = ftledger("lab", "eval", a, "--world", join(dir, "nope.json"), "--store", store);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json/);
  });

  it("takes one prompt format per model (a base in its pre-training format, its sft in chat); the older --frame still works", () => {
    const a = `builtin:${join(dir, "a")}`;
    const r = ftledger("lab", "eval", a, a, "--n", "2", "--frame", "raw,chat", "--store", join(dir, "store"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/prompt format raw,chat\n/);
    expect(r.stdout).toMatch(/\[1\] .*; prompt format raw\)/);
    expect(r.stdout).toMatch(/\[2\] .*; prompt format chat\)/);
    // the later model is also measured in the base's format: recall by ranking in a format the fine-tune never saw
    expect(r.stdout).toMatch(/^  knowledge recall \(ranking\) in the base's format +\d+\/2 = .*  \(raw\)$/m);
    expect(r.stdout).toMatch(/^  knowledge recall \(ranking\) in the base's format +[+-]\d+\.\d pp /m);
    const bad = ftledger("lab", "eval", a, a, a, "--format", "raw,chat", "--store", join(dir, "store"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format raw,chat: give one prompt format for all 3 models or one per model/);
  });

  it("exits 2 naming a bad option value, a bad spec, or a missing --json folder", () => {
    const store = join(dir, "store");
    const split = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "--split", "test");
    expect(split.code).toBe(2);
    expect(split.stderr).toMatch(/--split must be one of id, n1, ood, got "test"/);
    const n = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "--n", "0");
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/--n must be an integer ≥ 1, got "0"/);
    const format = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "--format", "json", "--store", store);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--base-format: prompt format "json" is not one of raw, chat, template:TEXT-with-\{prompt\}/);
    const spec = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "nope:x", "--store", store);
    expect(spec.code).toBe(2);
    expect(spec.stderr).toMatch(/nope:x: "nope:x" is not a model spec; use one of: builtin:PATH/);
    const missing = ftledger("lab", "eval", `builtin:${join(dir, "missing")}`, "--store", store);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such folder; give an HF-layout model folder or a lab run folder/);
    const json = ftledger("lab", "eval", `builtin:${join(dir, "a")}`, "--json", join(dir, "no", "such", "x.json"));
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/--json .*: the folder .* does not exist; create it or give another path/);
    expect(existsSync(join(dir, "no"))).toBe(false);
  });
});
