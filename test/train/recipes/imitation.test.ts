/**
 * Recipe imitation on tiny configs: the config names its bad fields, the teacher's samples
 * are a function of the seed and come only from the chosen tasks, rows carry the loss on
 * the sample only, an unusable teacher is refused by path, a run lowers the student's loss
 * on the teacher's samples and records the teacher, and a killed run resumes to the
 * identical loss curve.
 */
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTsKernels } from "../../../src/tensor/index.js";
import { loadCheckpoint } from "../../../src/formats/index.js";
import { CharTokenizer, Llama } from "../../../src/model/index.js";
import { arithmeticTask } from "../../../src/world/arithmetic/index.js";
import { knowledgeTask } from "../../../src/world/knowledge/index.js";
import { latestCheckpoint } from "../../../src/formats/index.js";
import { encodeChat, resolveRecipeConfig, runLab, type Recipe } from "../../../src/train/index.js";
import type { BatchSource } from "../../../src/train/batches.js";
import { sha256Of } from "../../../src/random/index.js";
import { framePrompt, teacherExamples, teacherRow, type TeacherSample } from "../../../src/train/data/teacher.js";
import { imitationPrompts, imitationSchema } from "../../../src/train/recipes/index.js";
import { expectIdenticalAfterResume } from "./resume.js";
import { pretrainRun, tinyPretrain } from "./tiny.js";

const kernels = createTsKernels();
const tok = new CharTokenizer();
let root: string;
let studentRun: string;
let teacherRun: string;

async function teacherModel(): Promise<Llama<Float32Array>> {
  const ck = await loadCheckpoint((await latestCheckpoint(teacherRun))!);
  if (!ck.ok) throw new Error("teacher failed to load");
  const m = Llama.f32(ck.value.config, kernels);
  m.params.flat.set(ck.value.params);
  return m;
}

function imitationRecipe(json: Record<string, unknown>): Recipe {
  const r = resolveRecipeConfig("imitation", { base: studentRun, teacher: teacherRun, world: tinyPretrain.world, ...json });
  if (!r.ok) throw new Error(r.message);
  return r.value.recipe;
}

function bad(json: unknown): { field: string; message: string } {
  const r = resolveRecipeConfig("imitation", json);
  if (r.ok) throw new Error(`expected ${JSON.stringify(json)} to be rejected`);
  if (r.error.code !== "bad_config") throw new Error(r.message);
  return { field: r.error.field, message: r.message };
}

const small = {
  samples: { count: 24, offset: 10 }, teacherSampling: { maxTokens: 24 },
  train: { steps: 12, batchSize: 4, maxLr: 1e-2, minLr: 1e-3, warmupSteps: 2 },
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ftledger-imitation-"));
  studentRun = join(root, "student");
  teacherRun = join(root, "teacher");
  await pretrainRun(studentRun, { train: { ...tinyPretrain.train, steps: 10 } }, 7);
  // a teacher of another size than the student
  await pretrainRun(teacherRun, { model: { ...tinyPretrain.model, dim: 48, ffnDim: 96 }, train: { ...tinyPretrain.train, steps: 20 } }, 8);
});

describe("recipe imitation", () => {
  it("validates the config, naming the field", () => {
    const c = imitationSchema.parse({ base: "s", teacher: "t" });
    expect(c).toMatchObject({
      tasks: ["arithmetic"], frame: "chat", samples: { count: 1000, offset: 1000 }, teacherSampling: { temperature: 1, maxTokens: 128 },
      train: { steps: 300, batchSize: 16, maxLr: 1e-3, minLr: 1e-4, warmupSteps: 20 },
    });
    expect(bad({}).message).toMatch(/^imitation config: base: required: the checkpoint folder \(or run folder\) of the student/);
    expect(bad({ base: "s" }).message).toMatch(/^imitation config: teacher: required: the checkpoint folder \(or run folder\) of the teacher/);
    expect(bad({ base: "s", teacher: "" }).field).toBe("teacher");
    const stories = bad({ base: "s", teacher: "t", tasks: ["arithmetic", "stories"] });
    expect(stories.field).toBe("tasks.1");
    expect(stories.message).toMatch(/arithmetic.*knowledge/);
    expect(bad({ base: "s", teacher: "t", tasks: [] }).message).toMatch(/^imitation config: tasks: needs at least one task \(of arithmetic, knowledge\)/);
    expect(bad({ base: "s", teacher: "t", tasks: ["knowledge", "knowledge"] }).message).toMatch(/tasks: lists "knowledge" twice/);
    expect(bad({ base: "s", teacher: "t", frame: "json" }).field).toBe("frame");
    expect(bad({ base: "s", teacher: "t", teacherSampling: { temperature: -1 } }).field).toBe("teacherSampling.temperature");
    expect(bad({ base: "s", teacher: "t", samples: { count: 0 } }).field).toBe("samples.count");
  });

  it("prompts the teacher only with the chosen tasks' items past the offset", () => {
    const world = imitationSchema.parse({ base: "s", teacher: "t", world: tinyPretrain.world }).world;
    const items = (t: typeof arithmeticTask | typeof knowledgeTask) =>
      t.items({ config: (t === arithmeticTask ? world.arithmetic : world.knowledge) as never, seed: world.seed, split: "id", n: 15 }).slice(10);
    const k = imitationPrompts({ tasks: ["knowledge"], samples: { count: 5, offset: 10 }, world });
    expect(k).toEqual(items(knowledgeTask).map((it) => ({ id: it.id, prompt: it.prompt })));
    expect(k.every((p) => p.id.startsWith("knowledge/id/"))).toBe(true);
    // both tasks, in registry order whatever the config's order
    const both = imitationPrompts({ tasks: ["knowledge", "arithmetic"], samples: { count: 5, offset: 10 }, world });
    expect(both.map((p) => p.id)).toEqual([...items(arithmeticTask), ...items(knowledgeTask)].map((it) => it.id));
  });

  it("samples the teacher as a function of the seed, only for the given prompts", async () => {
    const teacher = await teacherModel();
    const world = imitationSchema.parse({ base: "s", teacher: "t", world: tinyPretrain.world }).world;
    const prompts = imitationPrompts({ tasks: ["arithmetic"], samples: { count: 40, offset: 10 }, world });
    const opts = { frame: "chat" as const, temperature: 1, maxTokens: 16, seed: 11 };
    const a = teacherExamples(teacher, tok, prompts, opts);
    const again = teacherExamples(teacher, tok, prompts, opts);
    const other = teacherExamples(teacher, tok, prompts, { ...opts, seed: 12 });
    expect(again).toEqual(a);
    expect(other.samples.map((s) => s.tokens)).not.toEqual(a.samples.map((s) => s.tokens));
    expect(a.samples.length + a.empty.length + a.promptTooLong.length).toBe(40); // > 32: two sampling chunks
    const ids = new Set(prompts.map((p) => p.id));
    for (const s of a.samples) {
      expect(ids.has(s.id)).toBe(true);
      expect(s.id).toMatch(/^arithmetic\/id\//);
      expect(s.tokens.length).toBeGreaterThan(0);
      expect(s.tokens.length).toBeLessThanOrEqual(16);
      expect(s.response).toBe(tok.decode(s.tokens));
      expect(s.tokens).not.toContain(tok.idOf("<|end|>"));
    }
    // greedy (temperature 0) ignores the seed
    const g = (seed: number) => teacherExamples(teacher, tok, prompts.slice(0, 5), { frame: "raw", temperature: 0, maxTokens: 8, seed });
    expect(g(1)).toEqual(g(2));
    // a prompt longer than the teacher's context is counted, not sampled
    const long = teacherExamples(teacher, tok, [{ id: "long", prompt: "x".repeat(200) }], opts);
    expect(long).toEqual({ samples: [], empty: [], promptTooLong: ["long"] });
  });

  it("makes rows with the loss on the sample, ended only where the teacher ended", () => {
    const prompt = "Problem: Mara has 3 shells.\nSolution:\n";
    const s = (finish: TeacherSample["finish"]): TeacherSample => ({ id: "x", prompt, tokens: tok.encode("Answer: 3"), response: "Answer: 3", finish });
    const chat = teacherRow(tok, "chat", s("stop"));
    expect(chat).toEqual(encodeChat(tok, { id: "x", prompt, response: "Answer: 3" }));
    expect(tok.decode(teacherRow(tok, "chat", s("length")).ids)).toBe(`<bos><|user|>${prompt}<|end|><|assistant|>Answer: 3`);
    const raw = teacherRow(tok, "raw", s("stop"));
    expect(tok.decode(raw.ids)).toBe(`${prompt}Answer: 3<eos>`);
    expect(raw.responseStart).toBe(framePrompt(tok, "raw", prompt).length);
    expect(tok.decode(teacherRow(tok, "raw", s("context")).ids)).toBe(`${prompt}Answer: 3`);
  });

  it("refuses an unusable teacher, naming its path and what to do", async () => {
    const missing = await runLab({ recipe: imitationRecipe({ ...small, teacher: join(root, "nope") }), dir: join(root, "missing"), kernels, seed: 1 });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.message).toMatch(/^teacher .*nope: .*not found.*The teacher must be a lab checkpoint \(character tokenizer or the lab's byte-level BPE\)/);
    // a checkpoint whose tokenizer is not the lab's
    const foreign = join(root, "foreign");
    await cp((await latestCheckpoint(teacherRun))!, foreign, { recursive: true });
    const tj = JSON.parse(await readFile(join(foreign, "tokenizer.json"), "utf8"));
    tj.model.merges = [["a", "b"]];
    await writeFile(join(foreign, "tokenizer.json"), JSON.stringify(tj));
    const r = await runLab({ recipe: imitationRecipe({ ...small, teacher: foreign }), dir: join(root, "foreign-run"), kernels, seed: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/^teacher .*foreign: .*tokenizer\.json: the character tokenizer has no merges.*lab checkpoint/);
  });

  it("lowers the student's loss on the teacher's samples and records the teacher in run.json", async () => {
    // a greedy teacher, whose samples a student can learn in a few steps
    const recipe = imitationRecipe({ ...small, frame: "raw", teacherSampling: { temperature: 0, maxTokens: 24 }, train: { ...small.train, steps: 20 } });
    const dir = join(root, "run");
    const progress: [string, number, number][] = [];
    const run = await runLab({ recipe, dir, kernels, seed: 5, onPrepareProgress: (label, done, total) => progress.push([label, done, total]) });
    if (!run.ok) throw new Error(run.message);
    // sampling the teacher reports its progress, chunk by chunk, to the end
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every(([label]) => label === "teacher samples")).toBe(true);
    expect(progress[progress.length - 1][1]).toBe(progress[progress.length - 1][2]);
    const manifest = JSON.parse(await readFile(join(dir, "run.json"), "utf8"));
    const teacherDir = (await latestCheckpoint(teacherRun))!;
    const t = await loadCheckpoint(teacherDir);
    const s = await loadCheckpoint((await latestCheckpoint(studentRun))!);
    if (!t.ok || !s.ok) throw new Error("checkpoint failed to load");
    expect(manifest.config).toEqual(s.value.config); // the student's model, not the teacher's
    expect(t.value.config.dim).not.toBe(s.value.config.dim);
    const d = manifest.data;
    expect(d).toMatchObject({ teacher: teacherRun, teacherCheckpoint: teacherDir, teacherSha256: sha256Of(t.value.params), prompts: 24 });
    expect(d.samples + d.empty + d.promptTooLong).toBe(24);
    expect(d.examples + d.dropped).toBe(d.samples);
    expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
    // the student's loss on the teacher's rows, before (the run's first step) and after
    const final = await loadCheckpoint(run.checkpoint);
    if (!final.ok) throw new Error("checkpoint failed to load");
    const model = Llama.f32(final.value.config, kernels);
    model.params.flat.set(final.value.params);
    await recipe.prepare!({ kernels, tokenizer: tok, seed: 5 });
    const src = recipe.data({ tokenizer: tok, config: final.value.config, batchSize: 4, seed: 5 }) as BatchSource;
    expect(src.info).toEqual(d);
    const after = model.forward(src.batch(0)).loss;
    expect(after).toBeLessThan(run.losses[0] / 2);
  });

  it("resumes a killed run to the identical loss curve", async () => {
    // a fresh recipe object on resume: the teacher is loaded and sampled again
    const { resumed } = await expectIdenticalAfterResume({
      recipe: () => imitationRecipe({ ...small, tasks: ["knowledge"] }), root, kernels, seed: 3, every: 4, killAt: 10, latest: /step-000008$/,
    });
    expect(resumed.resumedFrom).toBe(8);
  });

});
