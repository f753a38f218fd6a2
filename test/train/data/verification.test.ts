/**
 * Verification rows (src/train/data/verification.ts): balanced and seeded, every verdict
 * the world verifier's, every corruption kind made, and each row token for token the
 * audit probe's frame with the loss on the verdict only; sft task "arithmetic+verification"
 * mixes them with arithmetic rows.
 */
import { describe, expect, it } from "vitest";
import { CharTokenizer } from "../../../src/model/index.js";
import { arithmeticTask, worldSettingsSchema, type WorldItem } from "../../../src/world/index.js";
import { verificationPrompt as probeFrame, VERIFICATION_QUESTION, YES, NO } from "../../../src/probes/self-verification.js";
import { encodeVerification, resolveRecipeConfig, verificationExamples, CORRUPTIONS } from "../../../src/train/index.js";

const tok = new CharTokenizer();
const world = worldSettingsSchema.parse({ arithmetic: { minSteps: 2, maxSteps: 4, operandMax: 49 } });
const opts = { world, count: 120, offset: 100, format: "item" as const };

describe("verification examples", () => {
  it("are balanced 50/50, and a pure function of their options", () => {
    const a = verificationExamples(opts);
    expect(a.filter((e) => e.verdict === YES)).toHaveLength(60);
    expect(a.filter((e) => e.verdict === NO)).toHaveLength(60);
    expect(verificationExamples({ ...opts, count: 7 }).filter((e) => e.verdict === YES)).toHaveLength(4);
    expect(verificationExamples(opts)).toEqual(a);
    // another salt corrupts other items
    const b = verificationExamples({ ...opts, salt: "other" });
    expect(b.map((e) => e.verdict)).not.toEqual(a.map((e) => e.verdict));
  });

  it("give each solution the world verifier's verdict, and make every kind of corruption", () => {
    const ex = verificationExamples(opts);
    const items = arithmeticTask.items({ config: world.arithmetic, seed: world.seed, split: "id", n: 220 }).slice(100) as WorldItem<number>[];
    ex.forEach((e, i) => {
      expect(e.prompt).toBe(items[i].prompt);
      expect(arithmeticTask.verify(items[i], e.solution).correct).toBe(e.verdict === YES);
      expect(e.corruption === undefined).toBe(e.verdict === YES);
    });
    for (const kind of CORRUPTIONS) expect(ex.some((e) => e.corruption === kind)).toBe(true);
    // a step corruption carries the wrong value on: its chain is consistent but one step is wrong
    const step = ex.find((e) => e.corruption === "step" && e.solution.split("\n").length > 3)!;
    expect(step.solution).not.toBe(items[ex.indexOf(step)].answerText);
  });

  it("are the probe's frame in the chat format, with the loss on the verdict and <|end|> only", () => {
    const e = verificationExamples({ ...opts, count: 4 })[0];
    const enc = encodeVerification(tok, e);
    const rendered = "<bos><|user|>" + e.prompt + "<|end|><|assistant|>";
    expect(tok.decode(enc.ids.slice(0, enc.responseStart))).toBe(probeFrame(rendered, e.solution));
    expect(probeFrame(rendered, e.solution).endsWith(VERIFICATION_QUESTION)).toBe(true);
    expect(tok.decode(enc.ids.slice(enc.responseStart))).toBe(e.verdict + "<|end|>");
  });

  it("are mixed into sft task arithmetic+verification, half the rows, loss on the verdict", () => {
    const r = resolveRecipeConfig("sft", {
      base: "b", task: "arithmetic+verification", variant: "with-reasoning", examples: { count: 20, offset: 0 },
    });
    if (!r.ok) throw new Error(r.message);
    const data = r.value.recipe.data({ tokenizer: tok, config: { contextLength: 256 } as never, batchSize: 20, seed: 1 });
    if (!("batch" in data)) throw new Error("sft gives batches");
    expect(data.info?.dropped).toBe(0);
    const b = data.batch(0);
    let verification = 0;
    for (let row = 0; row < 20; row++) {
      const text = tok.decode(b.tokens.subarray(row * 256, (row + 1) * 256));
      const trained = tok.decode(b.targets.subarray(row * 256, (row + 1) * 256).filter((_, j) => b.mask![row * 256 + j] === 1));
      if (text.includes(VERIFICATION_QUESTION)) {
        verification++;
        expect([YES + "<|end|>", NO + "<|end|>"]).toContain(trained);
      } else expect(trained).toMatch(/Answer: \d+<\|end\|>$/);
    }
    expect(verification).toBe(10);
  });
});
