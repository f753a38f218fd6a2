/**
 * The structured (knapsack-as-JSON) task: gold answers pass every layer, each kind of
 * corruption is caught by its own layer, the optimum agrees with an independent
 * dynamic programme, N-1 items change exactly one element, and everything is seeded.
 */
import { describe, expect, it } from "vitest";
import { CharTokenizer } from "../../src/model/tokenizer.js";
import {
  STRUCTURED_DEFAULTS, checkKnapsack, feasible, optimalityGap, parse, parseKnapsackPrompt, schemaValid, solveKnapsack, structuredTask,
  type Knapsack, type KnapsackAnswer,
} from "../../src/world/structured/index.js";
import type { Split, WorldItem } from "../../src/world/task.js";

const N = 1000;
const cfg = STRUCTURED_DEFAULTS;
const gen = (split: Split, seed = 11, n = N): WorldItem<KnapsackAnswer>[] => structuredTask.items({ config: cfg, seed, split, n });
const problemOf = (it: WorldItem<KnapsackAnswer>): Knapsack => it.meta.problem as Knapsack;

/** Reference optimum by the textbook DP over capacities (a different algorithm from enumeration). */
function dpOptimum(p: Knapsack): number {
  const best = new Array<number>(p.capacity + 1).fill(0);
  for (const it of p.items) for (let c = p.capacity; c >= it.weight; c--) best[c] = Math.max(best[c], best[c - it.weight] + it.value);
  return best[p.capacity];
}

const ids = gen("id");
const n1s = gen("n1");
const oods = gen("ood");

describe("structured: gold answers", () => {
  it("passes every layer on every split, and the optimum matches an independent DP", () => {
    for (const it of [...ids, ...n1s, ...oods]) {
      const p = problemOf(it);
      expect(parseKnapsackPrompt(it.prompt)).toEqual(p);
      const check = checkKnapsack(p, it.answerText);
      expect(check.failedLayer, it.id).toBeNull();
      expect(check.gap).toBe(0);
      expect(structuredTask.verify(it, it.answerText)).toEqual({ correct: true });
      expect(structuredTask.verify(it, `  ${it.answerText}\n`).correct).toBe(true);
      expect(solveKnapsack(p).best).toBe(dpOptimum(p));
      expect(it.meta.optimum).toBe(dpOptimum(p));
    }
  });

  it("sizes: 3-4 items in distribution, 5-6 out of it; prompt + answer within 120 characters in distribution", () => {
    for (const it of [...ids, ...n1s]) {
      expect([3, 4]).toContain(problemOf(it).items.length);
      expect(it.prompt.length + it.answerText.length).toBeLessThanOrEqual(120);
    }
    for (const it of oods) expect([5, 6]).toContain(problemOf(it).items.length);
  });

  it("reads as in the brief", () => {
    const it = ids[0];
    expect(it.prompt).toMatch(/^Pack: a w\d v\d; b w\d v\d; c w\d v\d(; d w\d v\d)?; cap \d+\nJSON:$/);
    expect(it.answerText).toMatch(/^\{"take":\[("[a-d]",?)*\]\}$/);
  });
});

describe("structured: each corruption is caught by its own layer", () => {
  it("invalid JSON → parse; wrong shape → schema; too heavy → feasible; feasible but worse → optimal", () => {
    for (const it of ids) {
      const p = problemOf(it);
      const layer = (text: string): string | null => {
        const c = checkKnapsack(p, text);
        expect(structuredTask.verify(it, text).correct).toBe(c.failedLayer === null);
        return c.failedLayer;
      };
      expect(layer(it.answerText.slice(0, -1))).toBe("parse");
      expect(layer("take a and c")).toBe("parse");
      expect(layer("")).toBe("parse");
      expect(layer('{"take":"a"}')).toBe("schema");
      expect(layer(`{"items":${JSON.stringify(it.answer.take)}}`)).toBe("schema");
      expect(layer(`{"take":${JSON.stringify(it.answer.take)},"value":1}`)).toBe("schema");
      expect(layer('{"take":["z"]}')).toBe("schema");
      expect(layer(`{"take":["a","a"]}`)).toBe("schema");
      expect(layer("[]")).toBe("schema");
      expect(layer("null")).toBe("schema");
      // Everything does not fit (generated problems guarantee it).
      const all = JSON.stringify({ take: p.items.map((i) => i.name) });
      expect(layer(all)).toBe("feasible");
      // Dropping one item of a (non-empty, unique) optimum stays feasible and loses value.
      const fewer = { take: it.answer.take.slice(1) };
      expect(layer(JSON.stringify(fewer))).toBe("optimal");
      expect(feasible(fewer, p)).toBe(true);
      expect(optimalityGap(fewer, p)).toBeGreaterThan(0);
      expect(optimalityGap({ take: p.items.map((i) => i.name) }, p)).toBeNull();
    }
  });

  it("accepts an optimal set written in another order or with spaces", () => {
    const it = ids.find((x) => x.answer.take.length >= 2)!;
    const text = `{ "take" : ${JSON.stringify(it.answer.take.slice().reverse())} }`;
    expect(structuredTask.verify(it, text)).toEqual({ correct: true });
    expect(parse(text).ok).toBe(true);
    expect(schemaValid(JSON.parse(text), problemOf(it))).toBe(true);
  });
});

describe("structured: N-1 items", () => {
  it("each differs from its in-distribution parent in exactly one element and has its own answer", () => {
    n1s.forEach((it, i) => {
      expect(it.parent?.id).toBe(ids[i].id);
      const p = problemOf(it);
      const q = problemOf(ids[i]);
      expect(p.items.length).toBe(q.items.length);
      let diffs = p.capacity !== q.capacity ? 1 : 0;
      p.items.forEach((x, k) => {
        diffs += Number(x.weight !== q.items[k].weight) + Number(x.value !== q.items[k].value);
      });
      expect(diffs, it.parent?.change).toBe(1);
      expect(it.meta.optimum).toBe(dpOptimum(p));
    });
  });

  it("no N-1 prompt equals an in-distribution prompt or a pre-training document", () => {
    const idPrompts = new Set(gen("id", 11, 3 * N).map((x) => x.prompt));
    const docPrompts = new Set(structuredTask.documents({ config: cfg, seed: 11, n: 3 * N }).map((d) => d.slice(0, d.indexOf("JSON:") + 5)));
    for (const it of n1s) expect(idPrompts.has(it.prompt) || docPrompts.has(it.prompt)).toBe(false);
    for (const it of ids) expect(docPrompts.has(it.prompt)).toBe(false);
  });
});

describe("structured: seeds and text", () => {
  it("same seed → byte-identical items and documents; another seed → different", () => {
    for (const split of ["id", "n1", "ood"] as const) {
      expect(JSON.stringify(gen(split, 3, 200))).toBe(JSON.stringify(gen(split, 3, 200)));
      expect(JSON.stringify(gen(split, 3, 200))).not.toBe(JSON.stringify(gen(split, 4, 200)));
      // Item i does not depend on n.
      expect(JSON.stringify(gen(split, 3, 50))).toBe(JSON.stringify(gen(split, 3, 200).slice(0, 50)));
    }
    const docs = (seed: number): string[] => structuredTask.documents({ config: cfg, seed, n: 300 });
    expect(docs(3).join("\u0000")).toBe(docs(3).join("\u0000"));
    expect(docs(3).join("\u0000")).not.toBe(docs(4).join("\u0000"));
  });

  it("all text tokenizes without <unk>", () => {
    const tok = new CharTokenizer();
    const texts = [...ids, ...n1s, ...oods].flatMap((it) => [it.prompt, it.answerText]);
    texts.push(...structuredTask.documents({ config: cfg, seed: 11, n: 1000 }));
    for (const t of texts) expect(tok.encode(t).includes(tok.unk)).toBe(false);
  });
});
