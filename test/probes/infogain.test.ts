/**
 * InfoGain from scripted log-probabilities, where the right value is known exactly:
 * NLL_0 = 3 … NLL_3 = 1 over three steps gives (3 − 1)/4 = 0.5. The steps are the
 * audited model's, the scores the fixed scorer's (in the scorer's own format), over the
 * gold answer only; then a smoke run on the zoo's medium model.
 */
import { describe, expect, it } from "vitest";
import { infoGain, infogainProbe } from "../../src/probes/infogain.js";
import { fromWorld, type Item } from "../../src/probes/index.js";
import { fakeModel } from "./fake-model.js";
import { arithmeticWorld, collect, probeContext, withModel, worldItems } from "./helpers.js";

describe("reasoning.infogain", () => {
  it("is (NLL_0 − NLL_n)/(n + 1)", () => {
    expect(infoGain([3, 2.5, 1.5, 1])).toBe(0.5);
    expect(infoGain([2])).toBe(0);
    expect(() => infoGain([])).toThrow(RangeError);
  });

  it("scores the gold answer with the fixed scorer after each prefix of the model's own steps", async () => {
    const items: Item[] = [
      { id: "a", prompt: "Q a\n", answer: "14", steps: ["gold step"], domain: "test" },
      { id: "b", prompt: "Q b\n", answer: "3", steps: ["gold step"], domain: "test" },
    ];
    const responses: Record<string, string> = { "Q a\n": "add 2\nadd 5\nadd 7\nAnswer: 15", "Q b\n": "only\nAnswer: 3" };
    const audited = fakeModel({
      generate: (req) => responses[req.prompt!],
      logprob: () => { throw new Error("InfoGain must score with the scorer, not the audited model"); },
    });
    const curves: Record<string, number[]> = { a: [3, 2.5, 1.5, 1], b: [2, 2.5] };
    const scorer = fakeModel({
      logprob: (prompt) => {
        const m = /^\[(\w)\]Q \w\n([\s\S]*)Answer: $/.exec(prompt);
        if (!m) throw new Error(`unexpected scorer prompt ${JSON.stringify(prompt)}`);
        const k = m[2] === "" ? 0 : m[2].split("\n").length - 1;
        return -curves[m[1]][k];
      },
    });
    // the scorer's own format tags each prompt with its item id ("Q a\n" → "[a]Q a\n")
    const ctx = probeContext(audited, { scorer: { model: scorer, render: (p) => `[${p[2]}]${p}`, format: "template" }, batchSize: 2 });
    const records = await collect(infogainProbe.run(audited, items, ctx));
    // the model's answer 15 is wrong (gold 14); InfoGain does not care, it scores the gold answer
    expect(records[0].values).toEqual({ accuracy: 0, infogain: 0.5 });
    expect(records[0].detail.nll).toEqual([3, 2.5, 1.5, 1]);
    expect(records[1].values).toEqual({ accuracy: 1, infogain: -0.25 });
    expect(scorer.scored.map((r) => r.prompt)).toEqual([
      "[a]Q a\nAnswer: ", "[a]Q a\nadd 2\nAnswer: ", "[a]Q a\nadd 2\nadd 5\nAnswer: ", "[a]Q a\nadd 2\nadd 5\nadd 7\nAnswer: ",
      "[b]Q b\nAnswer: ", "[b]Q b\nonly\nAnswer: ",
    ]);
    expect(scorer.scored.map((r) => r.continuation)).toEqual(["14", "14", "14", "14", "3", "3"]);
    expect(scorer.scoreBatches).toEqual([2, 2, 2]);
  });

  it("an answer-only or unfinished response gets a null InfoGain with a note", async () => {
    const items: Item[] = [
      { id: "a", prompt: "Q a\n", answer: "1", steps: ["s"], domain: "test" },
      { id: "b", prompt: "Q b\n", answer: "1", steps: ["s"], domain: "test" },
    ];
    const m = fakeModel({ generate: (req) => (req.prompt === "Q a\n" ? "Answer: 1" : "step one\nstep two") });
    const records = await collect(infogainProbe.run(m, items, probeContext(m)));
    expect(records.map((r) => r.values)).toEqual([{ accuracy: 1, infogain: null }, { accuracy: 0, infogain: null }]);
    expect(records.every((r) => typeof r.note === "string" && r.note.length > 0)).toBe(true);
    expect(m.scored).toHaveLength(0);
  });

  it("joins an arithmetic prompt that ends with \"Solution:\\n\" without a blank line", async () => {
    const [w] = arithmeticWorld(1);
    const item = fromWorld(w);
    const m = fakeModel({ generate: () => "First, 6 times 4 is 24.\nAnswer: 24", logprob: () => -1 });
    await collect(infogainProbe.run(m, [item], probeContext(m)));
    expect(item.prompt.endsWith("Solution:\n")).toBe(true);
    expect(m.scored.map((r) => r.prompt)).toEqual([`${item.prompt}Answer: `, `${item.prompt}First, 6 times 4 is 24.\nAnswer: `]);
  });

  it("smoke: zoo/base-m on 3 arithmetic items", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const items = worldItems("arithmetic", 3);
      const records = await collect(infogainProbe.run(model, items, probeContext(model, { maxTokens: 160 })));
      expect(records).toHaveLength(3);
      for (const r of records) {
        expect([0, 1]).toContain(r.values.accuracy);
        if (r.values.infogain === null) expect(r.note).toBeTruthy();
        else expect(Number.isFinite(r.values.infogain)).toBe(true);
      }
    });
  });
});
