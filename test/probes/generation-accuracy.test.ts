/**
 * Accuracy by generation: greedy requests in the chosen frame (raw sends the prompt,
 * chat sends one user message), the task's verifier decides, arithmetic records the
 * response's solution format, and requests go out in batches.
 */
import { describe, expect, it, vi } from "vitest";
import { generationAccuracy } from "../../src/probes/index.js";
import { tasks, type WorldItem, type arithmetic } from "../../src/world/index.js";
import { fakeModel, promptOf } from "./fake-model.js";

const arith = tasks.arithmetic.items({ config: tasks.arithmetic.defaults, seed: 1, split: "id", n: 6 }) as arithmetic.ArithmeticItem[];
const know = tasks.knowledge.items({ config: tasks.knowledge.defaults, seed: 1, split: "id", n: 4 });

describe("generationAccuracy", () => {
  it("raw frame: sends item.prompt greedily and verifies with the task; arithmetic gets its format", async () => {
    // even items: the gold terse solution; odd items: a wrong answer in code format
    const byPrompt = new Map(arith.map((it, i) => [it.prompt, i]));
    const m = fakeModel({
      generate: (req) => {
        const i = byPrompt.get(req.prompt!)!;
        const it = arith[i];
        return i % 2 === 0 ? it.meta.solutions.terse : `x1 = 1 + 1 # 2\nAnswer: ${it.answer + 1}\nProblem: more text`;
      },
    });
    const records = await generationAccuracy(m, tasks.arithmetic, arith, { batchSize: 4 });
    expect(m.generated.map((r) => r.prompt)).toEqual(arith.map((it) => it.prompt));
    expect(m.generated.every((r) => r.messages === undefined && r.temperature === 0 && r.maxTokens === 160)).toBe(true);
    expect(m.generateBatches).toEqual([4, 2]);
    expect(records.map((r) => r.id)).toEqual(arith.map((it) => it.id));
    expect(records.map((r) => r.correct)).toEqual([true, false, true, false, true, false]);
    expect(records[0].format).toBe("terse");
    // the format is read up to the first Answer line, as the verifier reads it
    expect(records[1].format).toBe("code");
    expect(records[1].reason).toMatch(/expected/);
    expect(records[0].response).toBe(arith[0].meta.solutions.terse);
  });

  it("chat frame: sends one user message with the prompt and no raw prompt", async () => {
    const m = fakeModel({ generate: (req) => know.find((it) => it.prompt === promptOf(req))!.answerText });
    const records = await generationAccuracy(m, tasks.knowledge, know, { frame: "chat", maxTokens: 20 });
    expect(m.generated.every((r) => r.prompt === undefined && r.maxTokens === 20)).toBe(true);
    expect(m.generated.map((r) => r.messages)).toEqual(know.map((it) => [{ role: "user", content: it.prompt }]));
    expect(records.every((r) => r.correct)).toBe(true);
    expect(records.every((r) => r.format === undefined)).toBe(true);
  });

  it("calls the task's verify with each item and its response, and reports progress", async () => {
    const verify = vi.fn((item: WorldItem<string>, response: string) => ({ correct: response === `R ${item.id}` }));
    const m = fakeModel({ generate: (req) => `R ${know.find((it) => it.prompt === req.prompt)!.id}` });
    const progress: number[] = [];
    const records = await generationAccuracy(m, { verify }, know, { batchSize: 3, onProgress: (d) => progress.push(d) });
    expect(verify.mock.calls.map(([item, r]) => [item.id, r])).toEqual(know.map((it) => [it.id, `R ${it.id}`]));
    expect(records.every((r) => r.correct)).toBe(true);
    expect(progress).toEqual([3, 4]);
  });
});
