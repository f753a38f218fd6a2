/**
 * Recall by ranking: every option scored as the continuation of the prompt (in batches),
 * the highest total log-probability is chosen, ties go to the first option, and the
 * gold option's rank is recorded.
 */
import { describe, expect, it } from "vitest";
import { rankingAccuracy } from "../../src/probes/index.js";
import type { WorldItem } from "../../src/world/index.js";
import { tasks } from "../../src/world/index.js";
import { fakeModel } from "./fake-model.js";

function item(id: string, options: string[], gold: string): WorldItem<string> {
  return { id, task: "knowledge", split: "id", prompt: `Q ${id}\nAnswer: `, answer: gold, answerText: gold, meta: { options } };
}

describe("rankingAccuracy", () => {
  it("picks the option with the highest log-probability and ranks the gold one", async () => {
    const lp: Record<string, number> = { red: -3, green: -1, blue: -2 };
    const m = fakeModel({ logprob: (_, c) => lp[c] });
    const items = [item("a", ["red", "green", "blue"], "green"), item("b", ["red", "green", "blue"], "red")];
    const r = await rankingAccuracy(m, items, { batchSize: 4 });
    expect(m.scored).toEqual(items.flatMap((it) => ["red", "green", "blue"].map((o) => ({ prompt: it.prompt, continuation: o }))));
    expect(m.scoreBatches).toEqual([4, 2]);
    expect(r[0]).toEqual({ id: "a", correct: true, chosen: "green", gold: "green", goldRank: 1, options: ["red", "green", "blue"], logprobs: [-3, -1, -2] });
    expect(r[1]).toMatchObject({ correct: false, chosen: "green", gold: "red", goldRank: 3 });
  });

  it("breaks ties by option order: the first of equal options wins", async () => {
    const m = fakeModel({ logprob: () => -1 });
    const r = await rankingAccuracy(m, [item("a", ["x", "y"], "x"), item("b", ["x", "y"], "y")]);
    expect(r[0]).toMatchObject({ correct: true, chosen: "x", goldRank: 1 });
    expect(r[1]).toMatchObject({ correct: false, chosen: "x", goldRank: 2 });
  });

  it("runs on world knowledge items and reports progress in items", async () => {
    const items = tasks.knowledge.items({ config: tasks.knowledge.defaults, seed: 2, split: "n1", n: 5 });
    const m = fakeModel({ logprob: (p, c) => (items.find((it) => it.prompt === p)!.answerText === c ? 0 : -5) });
    const progress: number[] = [];
    const r = await rankingAccuracy(m, items, { batchSize: 7, onProgress: (d, t) => { expect(t).toBe(5); progress.push(d); } });
    expect(r.every((x) => x.correct && x.goldRank === 1)).toBe(true);
    expect(progress.at(-1)).toBe(5);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it("names an item whose options are missing or lack the gold answer", async () => {
    const m = fakeModel({});
    await expect(rankingAccuracy(m, [{ ...item("a", [], "x"), meta: {} }])).rejects.toThrow(/a: ranking needs meta.options/);
    await expect(rankingAccuracy(m, [item("b", ["x"], "y")])).rejects.toThrow(/b: the gold answer "y" is not among meta.options/);
  });
});
