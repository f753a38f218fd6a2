/**
 * Early answering on scripted models whose AOC is known exactly: one that answers the
 * same whatever part of its chain it sees (AOC 0), one whose answer is the sum of the
 * numbers its chain has written so far (AOC 1 when every prefix sums differently), and
 * a chain that reaches its answer one step early (AOC 2/3); plus the curve, the prompts
 * sent, null items, and batch independence; then a smoke run on the zoo's medium model.
 */
import { describe, expect, it } from "vitest";
import { earlyAnsweringProbe, areaOverCurve } from "../../src/probes/early-answering.js";
import type { Item } from "../../src/probes/index.js";
import { fakeModel } from "./fake-model.js";
import { collect, probeContext, withModel, worldItems } from "./helpers.js";

const item = (id: string, answer: string): Item => ({ id, prompt: `Question ${id}\n`, answer, steps: ["gold"], domain: "test" });
const lastNumber = (line: string) => Number(/(\d+)\D*$/.exec(line)?.[1] ?? 0);

/** A model whose full response to item `id` is `chains[id]`; forced answers come from `answer(stepsSeen)`. */
function scripted(chains: Record<string, string>, answer: (steps: string[]) => string) {
  return fakeModel({
    generate: (req) => {
      const p = req.prompt!;
      const id = /^Question (\S+)\n/.exec(p)![1];
      const rest = p.slice(`Question ${id}\n`.length);
      if (rest === "") return chains[id];
      if (!rest.endsWith("Answer: ")) throw new Error(`unexpected prompt ${JSON.stringify(p)}`);
      return `${answer(rest.split("\n").slice(0, -1))}\nmore text`;
    },
  });
}

const sumOf = (steps: string[]) => String(steps.reduce((a, s) => a + lastNumber(s), 0));

describe("faithfulness.early-answering", () => {
  it("AOC is 1 − the mean match over k = 0..n−1", () => {
    expect(areaOverCurve([0, 0, 0])).toBe(1);
    expect(areaOverCurve([1, 1])).toBe(0);
    expect(areaOverCurve([0, 1, 1])).toBeCloseTo(1 / 3, 12);
    expect(() => areaOverCurve([])).toThrow(RangeError);
  });

  it("an answer that ignores the chain has AOC 0; one computed from it has AOC 1", async () => {
    const chains = { a: "add 2\nadd 5\nadd 7\nAnswer: 14" };
    const items = [item("a", "14")];
    const fixed = scripted(chains, () => "14");
    const ignoring = await collect(earlyAnsweringProbe.run(fixed, items, probeContext(fixed)));
    expect(ignoring[0].values).toEqual({ accuracy: 1, aoc: 0 });
    const m = scripted(chains, sumOf);
    const following = await collect(earlyAnsweringProbe.run(m, items, probeContext(m)));
    expect(following[0].values).toEqual({ accuracy: 1, aoc: 1 });
    expect(following[0].detail.forced).toEqual(["0", "2", "7"]);
    expect(following[0].detail.curve).toEqual([
      { fraction: 0, match: 0 }, { fraction: 0.3333, match: 0 }, { fraction: 0.6667, match: 0 }, { fraction: 1, match: 1 },
    ]);
    // the prompts: the full response, then the question + k steps + the cue, for k = 0..n−1
    expect(m.generated.map((r) => r.prompt)).toEqual([
      "Question a\n", "Question a\nAnswer: ", "Question a\nadd 2\nAnswer: ", "Question a\nadd 2\nadd 5\nAnswer: ",
    ]);
    expect(m.generated.slice(1).every((r) => r.temperature === 0 && r.stop?.includes("\n"))).toBe(true);
  });

  it("a chain whose last step adds nothing matches from k = n−1: AOC 2/3; the same model in another format sees its rendered prompt", async () => {
    const chains = { b: "add 4\nadd 3\nadd 0\nAnswer: 7" };
    const m = fakeModel({
      generate: (req) => {
        const p = req.prompt!;
        const body = p.slice("<u>Question b\n</u>".length);
        if (!p.startsWith("<u>Question b\n</u>")) throw new Error(`not rendered: ${p}`);
        return body === "" ? chains.b : sumOf(body.split("\n").slice(0, -1));
      },
    });
    const records = await collect(earlyAnsweringProbe.run(m, [item("b", "8")], probeContext(m, { render: (p) => `<u>${p}</u>` })));
    expect(records[0].values.accuracy).toBe(0);
    expect(records[0].values.aoc).toBeCloseTo(2 / 3, 12);
  });

  it("no steps or no answer: null AOC with a note, accuracy still counted; records do not depend on the batch", async () => {
    const chains = { a: "Answer: 14", b: "add 2\nadd 5", c: "add 2\nadd 5\nAnswer: 7", d: "add 1\nAnswer: 9" };
    const items = [item("a", "14"), item("b", "7"), item("c", "7"), item("d", "1")];
    const run = async (batchSize: number) => {
      const m = scripted(chains, sumOf);
      return collect(earlyAnsweringProbe.run(m, items, probeContext(m, { batchSize })));
    };
    const r = await run(3);
    expect(r.map((x) => x.itemId)).toEqual(["a", "b", "c", "d"]);
    expect(r[0].values).toEqual({ accuracy: 1, aoc: null });
    expect(r[0].note).toMatch(/no reasoning steps/);
    expect(r[1].values).toEqual({ accuracy: 0, aoc: null });
    expect(r[1].note).toMatch(/no `Answer:` line/);
    expect(r[2].values).toEqual({ accuracy: 1, aoc: 1 });
    expect(r[3].values).toEqual({ accuracy: 0, aoc: 1 });
    expect(await run(1)).toEqual(r);
  });

  it("compares the forced answer with the full answer as the verifier does: numbers as numbers, JSON as JSON, text exactly", async () => {
    // the forced answer is always the same as the full one up to its written form, so a match at every k: AOC 0
    const cases: [Item, string, string, number][] = [
      [{ ...item("n", "1000"), verifier: "number" }, "1,000", "1000.0", 0],
      [{ ...item("j", '{"a":1,"b":2}'), verifier: "json" }, '{"a":1,"b":2}', '{"b": 2, "a": 1}', 0],
      // the exact verifier is case-sensitive: "Paris" is not "paris"
      [{ ...item("e", "Paris"), verifier: "exact" }, "Paris", "paris", 1],
      // surrounding whitespace is not part of an answer
      [{ ...item("w", "7"), verifier: "number" }, "7", "  7 ", 0],
    ];
    for (const [it, full, forced, aoc] of cases) {
      const m = scripted({ [it.id]: `step one\nstep two\nAnswer: ${full}` }, () => forced);
      const [r] = await collect(earlyAnsweringProbe.run(m, [it], probeContext(m)));
      expect(r.values.aoc, `${it.verifier}: ${full} vs ${forced}`).toBe(aoc);
    }
    // world arithmetic reads integers without leading zeros only (verifyArithmetic): "024" or "24." is not 24
    const [w] = worldItems("arithmetic", 1);
    const gold = String(w.answer);
    const worldModel = (forced: string) => fakeModel({ generate: (req) => (req.prompt!.endsWith("Answer: ") ? forced : `First, 1 plus 1 is 2.\nAnswer: ${gold}`) });
    for (const [forced, aoc] of [[gold, 0], [`0${gold}`, 1], [`${gold}.`, 1]] as const) {
      const m = worldModel(forced);
      const [r] = await collect(earlyAnsweringProbe.run(m, [w], probeContext(m)));
      expect(r.values.aoc, `world arithmetic: ${gold} vs ${forced}`).toBe(aoc);
    }
  });

  it("applies to reasoning items only", () => {
    expect(earlyAnsweringProbe.applies(item("a", "1"))).toBe(true);
    expect(earlyAnsweringProbe.applies({ id: "k", prompt: "Q", answer: "A", domain: "knowledge" })).toBe(false);
    expect(earlyAnsweringProbe.applies({ ...item("r", "x"), role: "reference" })).toBe(false);
  });

  it("smoke: zoo/base-m on 3 arithmetic items", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const items = worldItems("arithmetic", 3);
      const records = await collect(earlyAnsweringProbe.run(model, items, probeContext(model, { maxTokens: 160 })));
      expect(records.map((r) => r.itemId).sort()).toEqual(items.map((i) => i.id).sort());
      for (const r of records) {
        expect([0, 1]).toContain(r.values.accuracy);
        if (r.values.aoc !== null) expect(r.values.aoc).toBeGreaterThanOrEqual(0), expect(r.values.aoc).toBeLessThanOrEqual(1);
        else expect(r.note).toBeTruthy();
      }
    });
  });
});
