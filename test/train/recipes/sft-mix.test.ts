/**
 * sft's tasks "programs" (the world's expression-building task, answer only) and "mix" (a
 * multi-task fine-tune over a `tasks` list in equal shares, interleaved): the rows are the
 * world's items with their gold answers, the shares and order are as documented, and configs
 * of the older tasks are unchanged (no `tasks` key appears in them, so their run.json match).
 */
import { describe, expect, it } from "vitest";
import { tasks as worldTasks } from "../../../src/world/index.js";
import { resolveRecipeConfig, sftExamples, sftSchema } from "../../../src/train/index.js";

describe("sft task programs", () => {
  it("trains on programs items [offset, offset + count) with their gold expression", () => {
    const c = sftSchema.parse({ base: "b", task: "programs", examples: { count: 20, offset: 7 } });
    const ex = sftExamples(c);
    const items = worldTasks.programs.items({ config: worldTasks.programs.defaults, seed: 1, split: "id", n: 27 }).slice(7);
    expect(ex.map((e) => e.id)).toEqual(items.map((it) => it.id));
    ex.forEach((e, i) => {
      expect(e.prompt).toBe(items[i].prompt);
      expect(e.prompt).toMatch(/^Build: .*\nf=$/);
      expect(worldTasks.programs.verify(items[i], e.response).correct).toBe(true);
    });
  });

  it("refuses with-reasoning (a programs answer has no steps)", () => {
    const r = resolveRecipeConfig("sft", { base: "b", task: "programs", variant: "with-reasoning" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/variant: "with-reasoning" needs a task with solution steps.*use "answer-only" for programs/);
  });
});

describe("sft task mix", () => {
  it("defaults to arithmetic, knowledge and programs in equal shares, interleaved round-robin", () => {
    const c = sftSchema.parse({ base: "b", task: "mix", variant: "with-reasoning", format: "code", examples: { count: 10, offset: 3 } });
    const ex = sftExamples(c);
    expect(ex).toHaveLength(10);
    const task = (id: string) => id.split("/")[0];
    // 10 = 4 + 3 + 3: the first task gets the remainder
    expect(ex.map((e) => task(e.id))).toEqual([
      "arithmetic", "knowledge", "programs", "arithmetic", "knowledge", "programs", "arithmetic", "knowledge", "programs", "arithmetic",
    ]);
    const single = (t: string, count: number, variant = "answer-only") => sftExamples(sftSchema.parse({ base: "b", task: t, variant, format: "code", examples: { count, offset: 3 } }));
    // each share is that task's own sft rows over the same items; the variant applies to arithmetic only
    expect(ex.filter((e) => task(e.id) === "arithmetic")).toEqual(single("arithmetic", 4, "with-reasoning"));
    expect(ex.filter((e) => task(e.id) === "knowledge")).toEqual(single("knowledge", 3));
    expect(ex.filter((e) => task(e.id) === "programs")).toEqual(single("programs", 3));
    expect(ex[0].response).toMatch(/^x1 = /);
  });

  it("takes a tasks list in its order", () => {
    const ex = sftExamples(sftSchema.parse({ base: "b", task: "mix", tasks: ["programs", "knowledge"], examples: { count: 4, offset: 0 } }));
    expect(ex.map((e) => e.id.split("/")[0])).toEqual(["programs", "knowledge", "programs", "knowledge"]);
  });

  it("refuses tasks on another task, a task listed twice and a list of one", () => {
    const bad = (json: Record<string, unknown>) => {
      const r = resolveRecipeConfig("sft", { base: "b", ...json });
      if (r.ok) throw new Error("accepted");
      return r.message;
    };
    expect(bad({ task: "arithmetic", tasks: ["arithmetic", "knowledge"] })).toMatch(/tasks: only task "mix" takes a tasks list \(task is "arithmetic"\)/);
    expect(bad({ task: "mix", tasks: ["knowledge", "knowledge"] })).toMatch(/tasks: lists a task twice/);
    expect(bad({ task: "mix", tasks: ["knowledge"] })).toMatch(/^sft config: tasks:/);
  });

  it("leaves the configs of the older tasks as they were (no tasks key)", () => {
    expect(Object.keys(sftSchema.parse({ base: "b", task: "arithmetic+knowledge" }))).not.toContain("tasks");
  });
});
