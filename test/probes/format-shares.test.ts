/**
 * Format shares by sampling: seeded temperature-1 requests, n samples per prompt, each
 * classified by the world's exact grammars and verified; the shares computed from the
 * records (src/stats categoryShares) sum to 1.
 */
import { describe, expect, it } from "vitest";
import { RESPONSE_FORMATS, sampleFormats, solutionFormat } from "../../src/probes/index.js";
import { categoryShares } from "../../src/stats/index.js";
import { tasks, type arithmetic } from "../../src/world/index.js";
import { fakeModel } from "./fake-model.js";

const items = tasks.arithmetic.items({ config: tasks.arithmetic.defaults, seed: 1, split: "id", n: 5 }) as arithmetic.ArithmeticItem[];

describe("solutionFormat", () => {
  it("classifies up to the first Answer line, by exact grammar", () => {
    expect(solutionFormat("First, 3 plus 4 is 7.\nAnswer: 7")).toBe("natural");
    expect(solutionFormat("x1 = 3 + 4 # 7\nAnswer: 7  \nProblem: next document")).toBe("code");
    expect(solutionFormat("3+4=7\nAnswer: 7")).toBe("terse");
    expect(solutionFormat("Answer: 7")).toBe("answer-only");
    expect(solutionFormat("We define 3 plus 4 is 7.\nAnswer: 7")).toBe("unknown");
    expect(solutionFormat("")).toBe("unknown");
  });
});

describe("sampleFormats", () => {
  it("samples each prompt n times, seeded and at temperature 1, and records format and correctness", async () => {
    const fmt = ["natural", "code", "terse"] as const;
    const m = fakeModel({
      generate: (req, j) => {
        const it = items.find((x) => x.prompt === req.prompt)!;
        return j === 2 ? "I do not know" : it.meta.solutions[fmt[(req.seed! + j) % 3]];
      },
    });
    const records = await sampleFormats(m, tasks.arithmetic, items, { seed: 10, samples: 3 });
    expect(m.generated.map((r) => [r.prompt, r.temperature, r.n, r.seed])).toEqual(items.map((it, i) => [it.prompt, 1, 3, 10 + 3 * i]));
    expect(records).toHaveLength(15);
    expect(records.slice(0, 3).map((r) => [r.id, r.sample])).toEqual([[items[0].id, 0], [items[0].id, 1], [items[0].id, 2]]);
    expect(records.filter((r) => r.sample < 2).every((r) => r.correct && r.format !== "unknown")).toBe(true);
    expect(records.filter((r) => r.sample === 2).every((r) => !r.correct && r.format === "unknown")).toBe(true);
    const shares = categoryShares(records.map((r) => r.format), RESPONSE_FORMATS);
    expect(Object.values(shares).reduce((s, x) => s + x.p, 0)).toBeCloseTo(1, 12);
    expect(shares.unknown.k).toBe(5);
  });

  it("sends the chat frame as a user message and refuses 0 samples", async () => {
    const m = fakeModel({ generate: () => "Answer: 1" });
    const r = await sampleFormats(m, tasks.arithmetic, items.slice(0, 2), { seed: 1, frame: "chat" });
    expect(m.generated.map((q) => q.messages?.[0])).toEqual(items.slice(0, 2).map((it) => ({ role: "user", content: it.prompt })));
    expect(r.map((x) => x.format)).toEqual(["answer-only", "answer-only"]);
    await expect(sampleFormats(m, tasks.arithmetic, items, { seed: 1, samples: 0 })).rejects.toThrow(/samples must be/);
  });
});
