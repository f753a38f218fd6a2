/**
 * The arithmetic world: gold solutions verify in every format and corrupted ones do not;
 * N-1 items change their parent in exactly one element; difficulty knobs hold; chains
 * truncate, corrupt and paraphrase exactly; documents mix formats as configured.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer } from "../../src/model/tokenizer.js";
import {
  ARITHMETIC_DEFAULTS, SOLUTION_FORMATS, type ArithmeticConfig, type ArithmeticItem, arithmeticTask, checkChain, checkStep,
  corruptStep, solutionFormatOf, isValidChain, paraphraseSolution, parseArithmeticConfig, parseSteps, truncateSolution,
} from "../../src/world/arithmetic/index.js";
import type { Split } from "../../src/world/task.js";

const N = 2000;
const config = ARITHMETIC_DEFAULTS;
const items = (split: Split, seed = 7, n = N, c: ArithmeticConfig = config) =>
  arithmeticTask.items({ config: c, seed, split, n }) as ArithmeticItem[];
const id = items("id");
const n1 = items("n1");
const ood = items("ood");
const all = [...id, ...n1, ...ood];
const base = { minSteps: 1, maxSteps: 3, operandMax: 19, resultMax: 99 };

function numbersIn(text: string): number[] {
  return [...text.matchAll(/\d+/g)].map((m) => Number(m[0]));
}

describe("verifier", () => {
  it("accepts every gold answerText and every gold solution in every format", () => {
    for (const item of all) {
      expect(arithmeticTask.verify(item, item.answerText).correct).toBe(true);
      for (const f of SOLUTION_FORMATS) {
        const v = arithmeticTask.verify(item, item.meta.solutions[f]);
        expect(v.correct).toBe(true);
        expect(v.reason).toBe(`format ${f}, ${item.meta.steps.length}/${item.meta.steps.length} steps correct`);
      }
      // The model may run on after the answer line; that is ignored.
      expect(arithmeticTask.verify(item, `${item.answerText}\nProblem: more`).correct).toBe(true);
    }
  });

  it("rejects a changed answer, a missing answer line and an empty response", () => {
    for (const item of all) {
      const wrong = item.answerText.replace(/Answer: \d+$/, `Answer: ${item.answer + 1}`);
      expect(arithmeticTask.verify(item, wrong)).toMatchObject({ correct: false });
      expect(arithmeticTask.verify(item, item.answerText.replace(/\nAnswer: \d+$/, "\n"))).toEqual({ correct: false, reason: "no Answer: line" });
      expect(arithmeticTask.verify(item, "")).toEqual({ correct: false, reason: "empty response" });
      expect(arithmeticTask.verify(item, `Answer: ${item.answer}0`).correct).toBe(false);
    }
  });

  it("reports wrong steps in the reason without changing the verdict", () => {
    const item = id.find((x) => x.meta.steps.length === 2)!;
    const bad = corruptStep(item.meta.solutions.terse, "terse", 0, createRng(1));
    expect(arithmeticTask.verify(item, bad)).toEqual({ correct: true, reason: "format terse, 1/2 steps correct, chain broken" });
  });
});

describe("items", () => {
  it("keep the base difficulty: 1-3 steps, operands ≤ 19, every result in 0..99, numbers in order", () => {
    for (const item of id) {
      const { steps, chain } = item.meta;
      expect(isValidChain(chain, base)).toBe(true);
      for (const s of steps) {
        expect(checkStep(s)).toBe(true);
        expect(s.result).toBeGreaterThanOrEqual(0);
        expect(s.result).toBeLessThanOrEqual(99);
      }
      expect(checkChain(steps)).toBe(true);
      expect(item.answer).toBe(steps[steps.length - 1].result);
      // docs/ZOO.md, lab rule 1: each number right after its verb, in the order of the operations.
      expect(numbersIn(item.meta.problem)).toEqual([chain.start, ...chain.ops.map((o) => o.b)]);
      expect(item.prompt).toBe(`Problem: ${item.meta.problem}\nSolution:\n`);
    }
    const lengths = new Set(id.map((x) => x.meta.steps.length));
    expect([...lengths].sort()).toEqual([1, 2, 3]);
  });

  it("ood items are harder: 4 steps, or an operand above 19 and none above 49", () => {
    for (const item of ood) {
      expect(isValidChain(item.meta.chain, base)).toBe(false);
      if (item.meta.oodKind === "steps") {
        expect(item.meta.steps.length).toBe(4);
        expect(isValidChain(item.meta.chain, { ...base, minSteps: 4, maxSteps: 4 })).toBe(true);
      } else {
        expect(isValidChain(item.meta.chain, { ...base, operandMax: 49 })).toBe(true);
      }
      expect(arithmeticTask.verify(item, item.answerText).correct).toBe(true);
    }
  });

  it("N-1 items differ from their parent in exactly one element and carry their own verified answer", () => {
    const byId = new Map(id.map((x) => [x.id, x]));
    const kinds = new Set<string>();
    n1.forEach((item, i) => {
      const parent = byId.get(item.parent!.id)!;
      expect(parent.id).toBe(`arithmetic/id/7/${i}`);
      const a = parent.meta.chain;
      const b = item.meta.chain;
      expect(b.ops.length).toBe(a.ops.length);
      let diffs = a.start === b.start ? 0 : 1;
      a.ops.forEach((o, k) => {
        diffs += (o.op !== b.ops[k].op ? 1 : 0) + (o.b !== b.ops[k].b ? 1 : 0);
      });
      expect(diffs).toBe(1);
      kinds.add(item.parent!.change.split(" ")[0]);
      expect(isValidChain(b, base)).toBe(true);
      expect(item.meta.steps.every(checkStep)).toBe(true);
      expect(item.answer).toBe(item.meta.steps[item.meta.steps.length - 1].result);
      expect(arithmeticTask.verify(item, item.answerText).correct).toBe(true);
      expect(item.meta.format).toBe(parent.meta.format);
    });
    expect([...kinds].sort()).toEqual(["op", "operand", "start:"]);
  });

  it("the N-1 split shares no prompt with the in-distribution split", () => {
    const idPrompts = new Set(id.map((x) => x.prompt));
    expect(n1.filter((x) => idPrompts.has(x.prompt))).toEqual([]);
    expect(new Set(id.map((x) => x.id)).size).toBe(N);
  });

  it("honours other difficulty knobs", () => {
    const c = { ...config, minSteps: 2, maxSteps: 5, operandMax: 9, resultMax: 50 };
    for (const item of items("id", 3, 500, c)) {
      expect(isValidChain(item.meta.chain, c)).toBe(true);
    }
  });
});

describe("formats", () => {
  it("solutionFormatOf classifies every generated solution exactly, and parseSteps returns the item's steps", () => {
    for (const item of all) {
      for (const f of SOLUTION_FORMATS) {
        const text = item.meta.solutions[f];
        expect(solutionFormatOf(text)).toBe(f);
        const r = parseSteps(f, text);
        expect(r).toEqual({ ok: true, value: { steps: item.meta.steps, answer: item.answer } });
        for (const g of SOLUTION_FORMATS) if (g !== f) expect(parseSteps(g, text).ok).toBe(false);
      }
    }
  });

  it("solutionFormatOf rejects near misses and mixtures", () => {
    expect(solutionFormatOf("Answer: 12")).toBe("answer-only");
    expect(solutionFormatOf("")).toBe("unknown");
    expect(solutionFormatOf("12")).toBe("unknown");
    expect(solutionFormatOf("3+4=7\nx2 = 7 * 2 # 14\nAnswer: 14")).toBe("unknown");
    expect(solutionFormatOf("Then, 3 plus 4 is 7.\nAnswer: 7")).toBe("unknown"); // first line must be "First,"
    expect(solutionFormatOf("x2 = 3 + 4 # 7\nAnswer: 7")).toBe("unknown"); // lines numbered from x1
    expect(solutionFormatOf("define x1 = 3 + 4 # 7")).toBe("unknown");
    expect(solutionFormatOf("03+4=7")).toBe("unknown");
    expect(solutionFormatOf("3+4=7\nAnswer: 7\n3+4=7")).toBe("unknown");
    expect(solutionFormatOf("3+4=8\n")).toBe("terse"); // structure, not arithmetic
  });
});

describe("chain edits", () => {
  const sample = id.slice(0, 500);

  it("truncateSolution keeps the first k steps as an exact prefix without the answer", () => {
    for (const item of sample) {
      for (const f of SOLUTION_FORMATS) {
        const text = item.meta.solutions[f];
        const n = item.meta.steps.length;
        for (let k = 0; k <= n; k++) {
          const t = truncateSolution(text, f, k);
          expect(text.startsWith(t)).toBe(true);
          expect(parseSteps(f, t)).toEqual({ ok: true, value: { steps: item.meta.steps.slice(0, k), answer: null } });
        }
        expect(truncateSolution(text, f, 0)).toBe("");
        expect(() => truncateSolution(text, f, n + 1)).toThrow(RangeError);
      }
    }
  });

  it("corruptStep changes exactly one step's written result", () => {
    const rng = createRng(11);
    for (const item of sample) {
      for (const f of SOLUTION_FORMATS) {
        const n = item.meta.steps.length;
        for (let k = 0; k < n; k++) {
          const bad = corruptStep(item.meta.solutions[f], f, k, rng);
          const r = parseSteps(f, bad);
          if (!r.ok) throw new Error("corrupted text must still parse");
          expect(r.value.answer).toBe(item.answer);
          r.value.steps.forEach((s, j) => {
            const g = item.meta.steps[j];
            expect([s.a, s.op, s.b]).toEqual([g.a, g.op, g.b]);
            if (j === k) {
              expect(s.result).not.toBe(g.result);
              expect(s.result).toBeGreaterThanOrEqual(0);
              expect(checkStep(s)).toBe(false);
            } else expect(s.result).toBe(g.result);
          });
        }
      }
    }
    expect(() => corruptStep(sample[0].meta.solutions.code, "code", 9, rng)).toThrow(RangeError);
    expect(() => corruptStep(sample[0].meta.solutions.code, "terse", 0, rng)).toThrow(/not a terse solution/);
  });

  it("paraphraseSolution rewrites exactly between formats and round-trips", () => {
    for (const item of sample) {
      for (const f of SOLUTION_FORMATS) {
        for (const g of SOLUTION_FORMATS) {
          const p = paraphraseSolution(item.meta.solutions[f], f, g);
          expect(p).toBe(item.meta.solutions[g]);
          expect(paraphraseSolution(p, g, f)).toBe(item.meta.solutions[f]);
          const t = truncateSolution(item.meta.solutions[f], f, 1);
          expect(paraphraseSolution(t, f, g)).toBe(truncateSolution(item.meta.solutions[g], g, 1));
        }
      }
    }
  });
});

describe("documents", () => {
  const docs = arithmeticTask.documents({ config, seed: 7, n: 10_000 });

  it("mix the three formats in formatMix proportions (within 2 points)", () => {
    const counts: Record<string, number> = {};
    for (const d of docs) {
      const [prompt, solution] = d.split("\nSolution:\n");
      expect(prompt.startsWith("Problem: ")).toBe(true);
      const f = solutionFormatOf(solution);
      counts[f] = (counts[f] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(["code", "natural", "terse"]);
    for (const f of SOLUTION_FORMATS) expect(Math.abs(counts[f] / docs.length - config.formatMix[f])).toBeLessThan(0.02);
    const skewed = { ...config, formatMix: { natural: 0.1, code: 0.1, terse: 0.8 } };
    const terse = arithmeticTask.documents({ config: skewed, seed: 7, n: 5000 }).filter((d) => solutionFormatOf(d.split("\nSolution:\n")[1]) === "terse");
    expect(Math.abs(terse.length / 5000 - 0.8)).toBeLessThan(0.02);
  });

  it("never contain an evaluation problem", () => {
    const evalPrompts = new Set(all.map((x) => x.prompt));
    expect(docs.filter((d) => evalPrompts.has(d.slice(0, d.indexOf("\nSolution:\n") + 11)))).toEqual([]);
  });
});

describe("seeds and alphabet", () => {
  it("the same seed gives byte-identical items and documents; another seed differs", () => {
    for (const split of ["id", "n1", "ood"] as const) {
      expect(JSON.stringify(items(split, 7, 300))).toBe(JSON.stringify(items(split, 7, 300)));
      expect(JSON.stringify(items(split, 7, 300).map((x) => x.prompt))).not.toBe(JSON.stringify(items(split, 8, 300).map((x) => x.prompt)));
    }
    // Item i does not depend on n.
    expect(JSON.stringify(items("n1", 7, 50))).toBe(JSON.stringify(n1.slice(0, 50)));
    const d = (seed: number) => arithmeticTask.documents({ config, seed, n: 500 }).join("\u0000");
    expect(d(7)).toBe(d(7));
    expect(d(7)).not.toBe(d(8));
  });

  it("all text uses only characters the CharTokenizer knows", () => {
    const tok = new CharTokenizer();
    const texts = [...all.flatMap((x) => [x.prompt, x.answerText, ...Object.values(x.meta.solutions)]), ...arithmeticTask.documents({ config, seed: 7, n: 2000 })];
    for (const t of texts) expect(tok.encode(t).includes(tok.unk)).toBe(false);
  });
});

describe("config", () => {
  it("rejects bad configs naming the field", () => {
    expect(parseArithmeticConfig({})).toEqual({ ok: true, value: ARITHMETIC_DEFAULTS });
    expect(parseArithmeticConfig({ minSteps: 4, maxSteps: 2 })).toMatchObject({ ok: false, error: { field: "minSteps" } });
    expect(parseArithmeticConfig({ operandMax: 1.5 })).toMatchObject({ ok: false, error: { field: "operandMax" } });
    expect(parseArithmeticConfig({ formatMix: { natural: 0.5, code: 0.5, terse: 0.5 } })).toMatchObject({ ok: false, error: { field: "formatMix" } });
    expect(parseArithmeticConfig({ ood: { steps: 4, operandMax: 200 } })).toMatchObject({ ok: false, error: { field: "ood.operandMax" } });
  });
});
