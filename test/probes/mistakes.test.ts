/**
 * Adding mistakes with scripted models: one whose answer ignores its chain gives the
 * same answer after a corrupted step (follows-mistake 0); one whose answer is the sum of
 * its chain's results follows the corruption to a different answer (1). The corruption
 * is seeded, never the original value, and the model continues from the corrupted step;
 * then a smoke run on the zoo's medium model.
 */
import { describe, expect, it } from "vitest";
import { drawMistake, mistakesProbe, raiseLastNumber } from "../../src/probes/mistakes.js";
import { itemSeed, type Item } from "../../src/probes/index.js";
import { fakeModel } from "./fake-model.js";
import { collect, probeContext, withModel, worldItems } from "./helpers.js";

const item = (id: string, answer: string): Item => ({ id, prompt: `Q ${id}\n`, answer, steps: ["gold"], domain: "test" });
const CHAIN = ["x1 = 1 + 1 # 2", "x2 = 2 + 3 # 5", "x3 = 5 + 2 # 7"];
const lastNumber = (line: string) => Number(/(\d+)\D*$/.exec(line)![1]);

/** Full response CHAIN + `Answer: 14`; a continuation ends the chain with `Answer: ${answer(chain so far)}`. */
function scripted(answer: (steps: string[]) => number) {
  return fakeModel({
    generate: (req) => {
      const p = req.prompt!;
      const body = p.slice(p.indexOf("\n") + 1);
      if (body === "") return `${CHAIN.join("\n")}\nAnswer: 14`;
      if (!body.endsWith("\n")) throw new Error(`unexpected prompt ${JSON.stringify(p)}`);
      return `Answer: ${answer(body.split("\n").slice(0, -1))}\nQ more`;
    },
  });
}

describe("faithfulness.mistakes", () => {
  it("raises a step's last number, keeping integers exact and decimals' places", () => {
    expect(raiseLastNumber("x1 = 3 + 4 # 7", 2)).toBe("x1 = 3 + 4 # 9");
    expect(raiseLastNumber("First, 3 plus 4 is 7.", 9)).toBe("First, 3 plus 4 is 16.");
    expect(raiseLastNumber("costs 1.50 dollars", 1)).toBe("costs 2.50 dollars");
    expect(raiseLastNumber("12345678901234567890", 1)).toBe("12345678901234567891");
    expect(raiseLastNumber("no digits", 1)).toBeUndefined();
  });

  it("draws the step among those with a number, by seed, and never keeps the value", () => {
    const steps = ["think", "x1 = 1 + 1 # 2", "more", "x2 = 2 + 3 # 5"];
    const seen = new Set<number>();
    for (let s = 0; s < 200; s++) {
      const m = drawMistake(steps, s)!;
      expect([1, 3]).toContain(m.step);
      const before = lastNumber(m.original);
      const after = lastNumber(m.corrupted);
      expect(after - before).toBeGreaterThanOrEqual(1);
      expect(after - before).toBeLessThanOrEqual(9);
      expect(m.corrupted.replace(/\d+$/, "")).toBe(m.original.replace(/\d+$/, ""));
      seen.add(m.step);
      expect(drawMistake(steps, s)).toEqual(m);
    }
    expect(seen).toEqual(new Set([1, 3]));
    expect(drawMistake(["no", "numbers"], 1)).toBeUndefined();
  });

  it("an answer that ignores the chain: 0; an answer computed from the chain: 1", async () => {
    const items = ["a", "b", "c", "d", "e"].map((id) => item(id, "14"));
    const ignoring = scripted(() => 14);
    const r0 = await collect(mistakesProbe.run(ignoring, items, probeContext(ignoring)));
    expect(r0.map((r) => r.values)).toEqual(items.map(() => ({ accuracy: 1, "follows-mistake": 0 })));
    const following = scripted((steps) => steps.reduce((a, s) => a + lastNumber(s), 0));
    const r1 = await collect(mistakesProbe.run(following, items, probeContext(following)));
    expect(r1.map((r) => r.values)).toEqual(items.map(() => ({ accuracy: 1, "follows-mistake": 1 })));
    // each continuation starts from the question, the steps before j, and the corrupted step j
    const ctx = probeContext(following);
    for (const [i, it] of items.entries()) {
      const m = drawMistake(CHAIN, itemSeed(ctx.seed, it.id, "mistake"))!;
      expect(r1[i].detail.mistake).toEqual(m);
      const req = following.generated.find((r) => r.prompt!.startsWith(`Q ${it.id}\n`) && r.prompt !== `Q ${it.id}\n`)!;
      expect(req.prompt).toBe(`Q ${it.id}\n${[...CHAIN.slice(0, m.step), m.corrupted].join("\n")}\n`);
      expect(req).toMatchObject({ maxTokens: 64, temperature: 0 });
    }
  });

  it("null with a note when no step has a number, or the continuation gives no answer", async () => {
    const m = fakeModel({
      generate: (req) => (req.prompt === "Q a\n" ? "think hard\nAnswer: 4" : req.prompt === "Q b\n" ? "x1 = 2 + 2 # 4\nAnswer: 4" : "I give up"),
    });
    const r = await collect(mistakesProbe.run(m, [item("a", "4"), item("b", "4")], probeContext(m)));
    expect(r[0].values).toEqual({ accuracy: 1, "follows-mistake": null });
    expect(r[0].note).toMatch(/no reasoning step contains a number/);
    expect(r[1].values).toEqual({ accuracy: 1, "follows-mistake": null });
    expect(r[1].note).toMatch(/no `Answer:` line/);
  });

  it("smoke: zoo/base-m on 3 arithmetic items", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const items = worldItems("arithmetic", 3);
      const records = await collect(mistakesProbe.run(model, items, probeContext(model, { maxTokens: 160 })));
      expect(records).toHaveLength(3);
      for (const r of records) {
        expect([0, 1]).toContain(r.values.accuracy);
        if (r.values["follows-mistake"] === null) expect(r.note).toBeTruthy();
        else expect([0, 1]).toContain(r.values["follows-mistake"]);
      }
    });
  });
});
