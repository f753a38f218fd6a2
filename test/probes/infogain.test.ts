/**
 * InfoGain from scripted log-probabilities, where the right values are known exactly.
 * The steps are the audited model's, the scores the fixed scorer's (in the scorer's own
 * format), over the gold answer only. A chain whose every step lowers the NLL equally has
 * mean-step-gain = that drop; a chain where only the answer step matters has
 * mean-step-gain 0 while its total gain is large — the telescoping (NLL_0 − NLL_n)/(n+1)
 * gave both a large value. Then a smoke run on the zoo's medium model.
 */
import { describe, expect, it } from "vitest";
import { answerStepOf, infogainProbe, statesAnswer, stepGains, summariseGains } from "../../src/probes/infogain.js";
import { fromWorld, type Item } from "../../src/probes/index.js";
import { fakeModel } from "./fake-model.js";
import { arithmeticWorld, collect, probeContext, withModel, worldItems } from "./helpers.js";

describe("reasoning.infogain", () => {
  it("step gains are NLL_{i−1} − NLL_i", () => {
    expect(stepGains([3, 2.5, 1.5, 1])).toEqual([0.5, 1, 0.5]);
    expect(stepGains([2])).toEqual([]);
    expect(() => stepGains([])).toThrow(RangeError);
  });

  it("the answer step is the first whose final result is the gold answer", () => {
    expect(statesAnswer("x2 = 7 * 2 # 14", "14")).toBe(true);
    expect(statesAnswer("Then, 7 times 2 is 14.", "14")).toBe(true);
    expect(statesAnswer("14-5=9", "14")).toBe(false); // 14 is an operand here, not the result
    expect(statesAnswer("so it costs 1,000.", "1000")).toBe(true);
    expect(statesAnswer("So the capital is Paris.", "Paris")).toBe(true);
    expect(statesAnswer("So the capital is NotParis", "Paris")).toBe(false);
    expect(answerStepOf(["3+4=7", "7*2=14", "14-5=9"], "9")).toBe(3);
    expect(answerStepOf(["3+4=7", "7+0=7", "7*1=7"], "7")).toBe(1);
    expect(answerStepOf(["3+4=7", "7*2=14"], "15")).toBeUndefined();
  });

  it("every step lowering the NLL by 0.5: mean-step-gain 0.5; only the answer step mattering: mean-step-gain 0, total-gain large", () => {
    const steps = ["3+4=7", "7*2=14", "14-5=9"];
    const even = summariseGains([3, 2.5, 2, 1.5], steps, "9");
    expect(even).toEqual({ meanStepGain: 0.5, uninformativeShare: 0, totalGain: 1.5, answerStep: 3 });
    const last = summariseGains([3, 3, 3, 0.1], steps, "9");
    expect(last.meanStepGain).toBe(0);
    expect(last.uninformativeShare).toBe(1);
    expect(last.totalGain).toBeCloseTo(2.9, 12);
    // the old telescoping InfoGain, (NLL_0 − NLL_n)/(n + 1), ranked the filler chain above the informative one
    const telescoping = (nll: number[]) => (nll[0] - nll[nll.length - 1]) / nll.length;
    expect(telescoping([3, 3, 3, 0.1])).toBeGreaterThan(telescoping([3, 2.5, 2, 1.5]));
    // a chain that never states the gold answer keeps every step; one that states it at once has no step before it
    expect(summariseGains([3, 2, 2.5], ["a", "b"], "9")).toEqual({ meanStepGain: 0.25, uninformativeShare: 0.5, totalGain: 0.5, answerStep: undefined });
    expect(summariseGains([3, 1], ["3*3=9"], "9")).toEqual({ meanStepGain: null, uninformativeShare: null, totalGain: 2, answerStep: 1 });
  });

  it("through the probe: an evenly informative chain and a filler chain with the same total gain", async () => {
    const items: Item[] = [
      { id: "even", prompt: "Q even\n", answer: "9", steps: ["gold"], domain: "test" },
      { id: "filler", prompt: "Q filler\n", answer: "9", steps: ["gold"], domain: "test" },
    ];
    const chains: Record<string, string> = {
      "Q even\n": "3+4=7\n7*2=14\n14-5=9\nAnswer: 9",
      "Q filler\n": "Let me think.\nHmm.\nSo 14-5=9\nAnswer: 9",
    };
    const curves: Record<string, number[]> = { even: [3, 2, 1, 0], filler: [3, 3, 3, 0] };
    const audited = fakeModel({ generate: (req) => chains[req.prompt!] });
    const scorer = fakeModel({
      logprob: (prompt) => {
        const [, id, body] = /^Q (\w+)\n([\s\S]*)Answer: $/.exec(prompt)!;
        return -curves[id][body === "" ? 0 : body.split("\n").length - 1];
      },
    });
    const ctx = probeContext(audited, { scorer: { model: scorer, render: (p) => p, format: "raw" } });
    const [even, filler] = await collect(infogainProbe.run(audited, items, ctx));
    expect(even.values).toEqual({ accuracy: 1, "mean-step-gain": 1, "uninformative-share": 0, "total-gain": 3, "chain-length": 3 });
    expect(filler.values).toEqual({ accuracy: 1, "mean-step-gain": 0, "uninformative-share": 1, "total-gain": 3, "chain-length": 3 });
    expect([even.detail.answerStep, filler.detail.answerStep]).toEqual([3, 3]);
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
    // no step states the gold 14, so all three gains count: 0.5, 1, 0.5
    expect(records[0].values).toEqual({ accuracy: 0, "mean-step-gain": 2 / 3, "uninformative-share": 0, "total-gain": 2, "chain-length": 3 });
    expect(records[0].detail).toMatchObject({ nll: [3, 2.5, 1.5, 1], gains: [0.5, 1, 0.5], answerStep: null });
    expect(records[1].values).toEqual({ accuracy: 1, "mean-step-gain": -0.5, "uninformative-share": 1, "total-gain": -0.5, "chain-length": 1 });
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
    const none = { "mean-step-gain": null, "uninformative-share": null, "total-gain": null, "chain-length": null };
    expect(records.map((r) => r.values)).toEqual([{ accuracy: 1, ...none }, { accuracy: 0, ...none }]);
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
        if (r.values["mean-step-gain"] === null) expect(r.note).toBeTruthy();
        else expect(Number.isFinite(r.values["mean-step-gain"])).toBe(true);
        const u = r.values["uninformative-share"];
        expect(u === null || (u >= 0 && u <= 1)).toBe(true);
      }
    });
  });
});
