/**
 * The diversity probe on scripted samples whose validity, shapes and behaviours are
 * known exactly: arithmetic (format + steps, step sequences among correct samples),
 * programs (AST shapes, behaviours among parsing programs), stories (productions), and
 * a domain with no structure (null with a note). Plus the request it sends, batch
 * independence, and a smoke run on zoo/base-m.
 */
import { describe, expect, it } from "vitest";
import type { LanguageModel } from "../../src/backends/index.js";
import { distinctN, distinctNAt } from "../../src/probes/diversity-metrics.js";
import { NO_PARSE } from "../../src/probes/diversity-structure.js";
import { diversityProbe, diversityRecord } from "../../src/probes/diversity.js";
import { itemSeed, type Item, type ProbeContext } from "../../src/probes/index.js";
import { fakeModel } from "./fake-model.js";
import { collect, probeContext, withModel, worldItems } from "./helpers.js";

const context = (model: LanguageModel, over: Partial<ProbeContext> = {}) => probeContext(model, { seed: 7, samples: 4, batchSize: 2, ...over });

const arith = worldItems("arithmetic", 3);
const progs = worldItems("programs", 3);
const tales = worldItems("stories", 1);
const know = worldItems("knowledge", 1);

describe("diversityRecord: structure and behaviour", () => {
  it("arithmetic: shapes are format + step count; behaviours are step sequences among correct samples", () => {
    // item 1: 8 + 14 = 22, 22 * 2 = 44
    const item = arith[1];
    const texts = [
      "First, 8 plus 14 is 22.\nThen, 22 times 2 is 44.\nAnswer: 44", // natural/2, path A
      "x1 = 8 + 14 # 22\nx2 = 22 * 2 # 44\nAnswer: 44", //                 code/2, path A
      "14+8=22\n2*22=44\nAnswer: 44", //                                   terse/2, path A (operands swapped)
      "8*2=16\n14*2=28\n16+28=44\nAnswer: 44", //                          terse/3, path B
      "8+14=22\n22*2=45\nAnswer: 45", //                                   terse/2, wrong
      "Answer: 44", //                                                     answer-only, no steps
    ];
    const r = diversityRecord(item, texts);
    expect(r.itemId).toBe(item.id);
    expect(r.values.validity).toBe(5 / 6);
    // Gini–Simpson over 6 shapes, terse/2 twice: 1 − 2·1 / (6·5)
    expect(r.values["syntactic-diversity"]).toBeCloseTo(1 - 2 / 30, 12);
    // over the 5 correct samples: path A three times, path B and answer-only once: 1 − 3·2 / (5·4)
    expect(r.values["semantic-diversity"]).toBeCloseTo(1 - 6 / 20, 12);
    expect(r.detail.shapes).toEqual(["natural/2", "code/2", "terse/2", "terse/3", "terse/2", "answer-only/0"]);
    expect(r.detail).toMatchObject({ semanticPopulation: "correct", validSamples: 5, distinctBehaviours: 3, nSamples: 6 });
    expect(r.note).toBeUndefined();
  });

  it("programs: AST shapes over all samples, behaviours over the samples that parse", () => {
    const item = progs[1]; // x + x + y
    const texts = ["x+x+y", "y+(x+x)", "2*x+y", "x", "((", "x+x+y"];
    const r = diversityRecord(item, texts);
    expect(r.values.validity).toBe(4 / 6);
    expect(r.detail.shapes).toEqual(["+(+(_,_),_)", "+(_,+(_,_))", "+(*(_,_),_)", "_", NO_PARSE, "+(+(_,_),_)"]);
    expect(r.values["syntactic-diversity"]).toBeCloseTo(1 - 2 / 30, 12);
    // five parse; two behaviours: x + x + y (four of them) and x: 1 − 4·3 / (5·4)
    expect(r.values["semantic-diversity"]).toBeCloseTo(1 - 12 / 20, 12);
    expect(r.detail).toMatchObject({ semanticPopulation: "well-formed", validSamples: 5, distinctBehaviours: 2, gridDegree: 1 });
  });

  it("programs: the behaviour grid is wide enough to tell apart polynomials of higher degree", () => {
    // x*x*x and x agree on x ∈ {0, 1} (a degree-1 grid) but not on x = 2
    const r = diversityRecord(progs[1], ["x*x*x", "x"]);
    expect(r.detail.gridDegree).toBe(3);
    expect(r.values["semantic-diversity"]).toBe(1);
  });

  it("stories: shapes are the grammar's productions; no semantic equivalence (null, with a note)", () => {
    const item = tales[0]; // Ada the pig lost her black book at the mill.
    const texts = [
      " She looked all over the mill. Ada was very proud.",
      " She looked all over the mill. Ada was very glad.",
      " She searched in the mud. At last she found her book.",
      " Ada ate a cloud.",
    ];
    const r = diversityRecord(item, texts);
    expect(r.values.validity).toBe(3 / 4);
    expect(r.detail.shapes).toEqual(["m1,e4", "m1,e4", "m2,e3", NO_PARSE]);
    expect(r.values["syntactic-diversity"]).toBeCloseTo(1 - 2 / 12, 12);
    expect(r.values["semantic-diversity"]).toBeNull();
    expect(r.note).toMatch(/semantic-diversity: no semantic equivalence/);
  });

  it("a domain without a grammar: lexical values, structural ones null with notes", () => {
    const texts = ["the red fox ran over the hill and the blue fox ran after it", "a green fox sat by the river and watched the red fox run by"];
    const r = diversityRecord(know[0], texts);
    expect(r.values["syntactic-diversity"]).toBeNull();
    expect(r.values["semantic-diversity"]).toBeNull();
    expect(r.note).toMatch(/syntactic-diversity: no structural grammar for world task knowledge/);
    expect(r.note).toMatch(/semantic-diversity: no semantic equivalence is defined for knowledge items/);
    // 13 + 13 = 26 bigrams < 32: too little text for the length-controlled value; the raw ones stay in detail
    expect(r.values["distinct-2@32"]).toBeNull();
    expect(r.note).toMatch(/distinct-2@32: the samples have fewer than 32 word bigrams/);
    expect(r.detail.distinct).toMatchObject({ "distinct-2": distinctN(texts, 2) });
    const longer = diversityRecord(know[0], [...texts, texts[0]]);
    expect(longer.values["distinct-2@32"]).toBe(distinctNAt([...texts, texts[0]], 2, 32));
  });

  it("identical samples: distinct-2@32 = 18 distinct bigrams in a budget of 32, self-BLEU 1, diversities 0", () => {
    const gold = "First, 8 plus 14 is 22.\nThen, 22 times 2 is 44.\nAnswer: 44";
    const r = diversityRecord(arith[1], [gold, gold, gold, gold]);
    expect(r.detail.distinct).toMatchObject({ "distinct-2": 1 / 4 });
    // 18 bigrams, each 4 times in 72: each is missed by 32 draws with probability C(68, 32)/C(72, 32)
    let miss = 1;
    for (let i = 0; i < 32; i++) miss *= (68 - i) / (72 - i);
    expect(r.values["distinct-2@32"]).toBeCloseTo((18 * (1 - miss)) / 32, 12);
    expect(r.values["self-bleu"]).toBeCloseTo(1, 12);
    expect(r.values["syntactic-diversity"]).toBe(0);
    expect(r.values["semantic-diversity"]).toBe(0);
    expect(r.values.validity).toBe(1);
  });

  it("too few samples or valid samples: null with why, never 0", () => {
    const one = diversityRecord(arith[1], ["8+14=22\n22*2=44\nAnswer: 44"]);
    expect(one.values["self-bleu"]).toBeNull();
    expect(one.values["syntactic-diversity"]).toBeNull();
    expect(one.values["semantic-diversity"]).toBeNull();
    expect(one.note).toMatch(/fewer than 2 correct samples \(1 of 1\)/);
    const empty = diversityRecord(arith[1], ["", ""]);
    expect(empty.values["compression-ratio"]).toBeNull();
    expect(empty.values["distinct-2@32"]).toBeNull();
    expect(empty.values.validity).toBe(0);
  });
});

describe("diversityProbe", () => {
  const script = (prompt: string, j: number) => `${prompt.length % 7} sample ${j} of ${prompt.slice(0, 12)}`;

  it("sends one seeded temperature-1 request per item, n = ctx.samples, in batches, rendered plainly", async () => {
    const model = fakeModel({ generate: (req, j) => script(req.prompt!, j) });
    const items: Item[] = [...arith, ...progs.slice(0, 1)];
    const ctx = context(model, { render: (p) => `<${p}>`, samples: 3, batchSize: 3 });
    const records = await collect(diversityProbe.run(model, items, ctx));
    expect(model.generateBatches).toEqual([3, 1]);
    expect(records.map((r) => r.itemId)).toEqual(items.map((i) => i.id));
    expect(model.generated.map((c) => c.prompt)).toEqual(items.map((i) => `<${i.prompt}>`));
    expect(model.generated.map((c) => c.seed)).toEqual(items.map((i) => itemSeed(7, i.id, "diversity")));
    expect(model.generated.every((c) => c.n === 3 && c.temperature === 1 && c.maxTokens === 64 && c.messages === undefined)).toBe(true);
    // the record is the record of the samples, whatever the batch
    const alone = await collect(diversityProbe.run(model, items.slice(3), context(model, { render: (p) => `<${p}>`, samples: 3, batchSize: 1 })));
    expect(alone[0]).toEqual(records[3]);
    expect(records[0]).toEqual(diversityRecord(items[0], [0, 1, 2].map((j) => script(`<${items[0].prompt}>`, j))));
  });

  it("declares its metrics, reports per domain, and skips reference items", () => {
    expect(diversityProbe.perDomain).toBe(true);
    expect(diversityProbe.metrics.map((m) => [m.name, m.role, m.higherIsBetter, m.margin])).toEqual([
      ["validity", "proxy", true, 0.03],
      ["distinct-2@32", "capability", true, 0.03],
      ["compression-ratio", "capability", true, 0.03],
      ["self-bleu", "capability", false, 0.03],
      ["syntactic-diversity", "capability", true, 0.05],
      ["semantic-diversity", "capability", true, 0.05],
    ]);
    expect(diversityProbe.applies(arith[0])).toBe(true);
    expect(diversityProbe.applies({ id: "r", prompt: "", answer: "some text", domain: "web", role: "reference" })).toBe(false);
  });

  it("zoo/base-m: one record per item, values in range (smoke)", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const items = arith.slice(0, 2);
      const records = await collect(diversityProbe.run(model, items, context(model, { samples: 4, maxTokens: 48 })));
      expect(records.map((r) => r.itemId)).toEqual(items.map((i) => i.id));
      for (const r of records) {
        for (const name of ["validity", "distinct-2@32", "syntactic-diversity"]) {
          const v = r.values[name];
          expect(v === null || (v >= 0 && v <= 1), `${name} = ${v}`).toBe(true);
        }
        const sb = r.values["self-bleu"];
        expect(sb === null || (sb >= 0 && sb <= 1)).toBe(true);
        expect(r.values["compression-ratio"] === null || r.values["compression-ratio"]! > 0).toBe(true);
        expect(r.detail.nSamples).toBe(4);
      }
    });
  });
});
