/**
 * The knowledge world: one seeded world behind documents and questions; the verifier is
 * exact; N-1 items ask the same fact in a held-out phrasing; every fact recurs in the
 * documents in many phrasings.
 */
import { describe, expect, it } from "vitest";
import { CharTokenizer } from "../../src/model/tokenizer.js";
import {
  ATTRIBUTES, HELD_OUT_QUESTIONS, KNOWLEDGE_DEFAULTS, SENTENCES, STANDARD_QUESTIONS, type Attribute, type KnowledgeItem,
  buildWorld, fill, knowledgeTask, parseKnowledgeConfig,
} from "../../src/world/knowledge/index.js";
import type { Split } from "../../src/world/task.js";

const config = KNOWLEDGE_DEFAULTS;
const SEED = 3;
const N = 2000;
const items = (split: Split, seed = SEED, n = N) => knowledgeTask.items({ config, seed, split, n }) as KnowledgeItem[];
const id = items("id");
const n1 = items("n1");
const ood = items("ood");
const all = [...id, ...n1, ...ood];
const world = buildWorld(SEED, config.entities);
const byName = new Map(world.entities.map((e) => [e.name, e]));

describe("world", () => {
  it("has 100 distinct invented names and one value per attribute from its options", () => {
    expect(world.entities.length).toBe(100);
    expect(new Set(world.entities.map((e) => e.name)).size).toBe(100);
    for (const e of world.entities) {
      expect(e.name).toMatch(/^[A-Z][a-z]+$/);
      for (const a of ATTRIBUTES) expect(world.options[a]).toContain(e.facts[a]);
      expect(e.facts.friend).not.toBe(e.name);
    }
    for (const a of ATTRIBUTES) expect(new Set(world.options[a]).size).toBe(world.options[a].length);
    expect([world.options.town.length, world.options.colour.length, world.options.job.length, world.options.food.length]).toEqual([20, 20, 30, 20]);
  });

  it("has at least 8 sentence templates per attribute", () => {
    for (const a of ATTRIBUTES) expect(SENTENCES[a].length).toBeGreaterThanOrEqual(8);
  });
});

describe("verifier", () => {
  it("accepts every gold answer, with surrounding whitespace and text on later lines", () => {
    for (const item of all) {
      expect(knowledgeTask.verify(item, item.answerText)).toEqual({ correct: true });
      expect(knowledgeTask.verify(item, ` ${item.answerText}  \nFact check. more`).correct).toBe(true);
      expect(knowledgeTask.verify(item, `\n${item.answerText}`).correct).toBe(true);
    }
  });

  it("rejects another option, a changed case, extra words and an empty answer", () => {
    for (const item of all) {
      const other = item.meta.options.find((o) => o !== item.answerText)!;
      expect(knowledgeTask.verify(item, other)).toEqual({ correct: false, reason: `got "${other}" (another option), expected "${item.answerText}"` });
      const flipped = item.answerText[0] === item.answerText[0].toUpperCase() ? item.answerText.toLowerCase() : item.answerText.toUpperCase();
      expect(knowledgeTask.verify(item, flipped).correct).toBe(false);
      expect(knowledgeTask.verify(item, `${item.answerText}.`).correct).toBe(false);
      expect(knowledgeTask.verify(item, `${item.answerText} too`).correct).toBe(false);
      expect(knowledgeTask.verify(item, "  \n ")).toEqual({ correct: false, reason: "empty response" });
    }
  });
});

describe("items", () => {
  it("ask the world's facts in the task's frame, with the attribute's options", () => {
    for (const item of id) {
      const e = byName.get(item.meta.entity)!;
      expect(item.answer).toBe(e.facts[item.meta.attribute]);
      expect(item.prompt).toBe(`Fact check. ${fill(STANDARD_QUESTIONS[item.meta.attribute], e.name)}\nAnswer: `);
      expect(item.meta.options).toEqual(world.options[item.meta.attribute]);
      expect(item.meta.options).toContain(item.answerText);
    }
    // The first 500 id items cover all 100 × 5 facts once.
    expect(new Set(id.slice(0, 500).map((x) => x.prompt)).size).toBe(500);
  });

  it("N-1 items ask the parent's fact with the question template swapped, and share no prompt with id", () => {
    const byId = new Map(id.map((x) => [x.id, x]));
    n1.forEach((item, i) => {
      const parent = byId.get(item.parent!.id)!;
      expect(parent.id).toBe(`knowledge/id/${SEED}/${i}`);
      expect([item.meta.entity, item.meta.attribute, item.answer]).toEqual([parent.meta.entity, parent.meta.attribute, parent.answer]);
      expect(item.prompt).toBe(`Fact check. ${fill(HELD_OUT_QUESTIONS[item.meta.attribute], item.meta.entity)}\nAnswer: `);
      expect(item.prompt).not.toBe(parent.prompt);
      expect(knowledgeTask.verify(item, item.answerText).correct).toBe(true);
    });
    const idPrompts = new Set(id.map((x) => x.prompt));
    expect(n1.filter((x) => idPrompts.has(x.prompt))).toEqual([]);
  });

  it("name the fact they ask: entity and attribute, the same for an id item, its N-1 phrasing and a repeat past the fact order", () => {
    for (const item of [...id, ...n1]) expect(item.meta.fact).toBe(`${item.meta.entity}.${item.meta.attribute}`);
    n1.forEach((item, i) => expect(item.meta.fact).toBe(id[i].meta.fact));
    // 500 facts: item 500 asks item 0's fact again, in the same phrasing
    expect(id[500].meta.fact).toBe(id[0].meta.fact);
    expect(new Set(id.slice(0, 500).map((x) => x.meta.fact)).size).toBe(500);
    for (const item of ood) expect(item.meta.fact).toBe(`${item.meta.entity}.friend.${item.meta.attribute}`);
  });

  it("ood items are two-hop: the attribute of the entity's best friend", () => {
    for (const item of ood) {
      const e = byName.get(item.meta.entity)!;
      expect(item.meta.via).toBe(e.facts.friend);
      expect(item.answer).toBe(byName.get(e.facts.friend)!.facts[item.meta.attribute]);
      expect(item.prompt).toContain(`the best friend of ${e.name}`);
    }
  });
});

describe("documents", () => {
  const docs = knowledgeTask.documents({ config, seed: SEED, n: 20_000 });

  it("state only true facts, each at least 120 times in 20k documents, in at least 6 phrasings", () => {
    // Every rendered sentence of every fact, mapped back to its fact.
    const sentenceToFact = new Map<string, string>();
    for (const e of world.entities) {
      for (const a of ATTRIBUTES) {
        for (const t of SENTENCES[a]) {
          const s = fill(t, e.name, e.facts[a]);
          expect(sentenceToFact.has(s)).toBe(false);
          sentenceToFact.set(s, `${e.name}/${a}`);
        }
      }
    }
    const counts = new Map<string, number>();
    const phrasings = new Map<string, Set<string>>();
    let qa = 0;
    for (const d of docs) {
      if (d.startsWith("Fact check. ")) {
        qa++;
        const m = /^Fact check\. (.*)\nAnswer: (.*)$/.exec(d)!;
        const item = id.slice(0, 500).find((x) => x.prompt === `Fact check. ${m[1]}\nAnswer: `)!;
        expect(item.answer).toBe(m[2]);
        continue;
      }
      const sentences = d.split(/(?<=\.) /);
      expect(sentences.length).toBe(config.factsPerDocument);
      for (const s of sentences) {
        const fact = sentenceToFact.get(s);
        expect(fact, s).toBeDefined();
        counts.set(fact!, (counts.get(fact!) ?? 0) + 1);
        if (!phrasings.has(fact!)) phrasings.set(fact!, new Set());
        phrasings.get(fact!)!.add(s);
      }
    }
    expect(counts.size).toBe(world.entities.length * ATTRIBUTES.length);
    // Expected ≈ 0.8 · 20,000 / 100 = 160 per fact (task.ts documents).
    expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(120);
    expect(Math.min(...[...phrasings.values()].map((p) => p.size))).toBeGreaterThanOrEqual(6);
    expect(Math.abs(qa / docs.length - config.qaShare)).toBeLessThan(0.02);
  });

  it("never use the held-out (N-1) question phrasings", () => {
    const heldOut = new Set(world.entities.flatMap((e) => ATTRIBUTES.map((a: Attribute) => fill(HELD_OUT_QUESTIONS[a], e.name))));
    let questions = 0;
    for (const d of docs) {
      for (const q of d.match(/[A-Z][^.?]*\?/g) ?? []) {
        questions++;
        expect(heldOut.has(q), q).toBe(false);
      }
    }
    expect(questions).toBeGreaterThan(0);
  });
});

describe("seeds and alphabet", () => {
  it("the same seed gives byte-identical items and documents; another seed differs", () => {
    for (const split of ["id", "n1", "ood"] as const) {
      expect(JSON.stringify(items(split, 5, 300))).toBe(JSON.stringify(items(split, 5, 300)));
      expect(JSON.stringify(items(split, 5, 300).map((x) => x.prompt + x.answerText))).not.toBe(
        JSON.stringify(items(split, 6, 300).map((x) => x.prompt + x.answerText)),
      );
    }
    const d = (seed: number) => knowledgeTask.documents({ config, seed, n: 500 }).join("\u0000");
    expect(d(5)).toBe(d(5));
    expect(d(5)).not.toBe(d(6));
  });

  it("all text uses only characters the CharTokenizer knows", () => {
    const tok = new CharTokenizer();
    const texts = [...all.flatMap((x) => [x.prompt, x.answerText]), ...Object.values(world.options).flat(), ...knowledgeTask.documents({ config, seed: SEED, n: 3000 })];
    for (const t of texts) expect(tok.encode(t).includes(tok.unk)).toBe(false);
  });
});

describe("config", () => {
  it("rejects bad configs naming the field", () => {
    expect(parseKnowledgeConfig({})).toEqual({ ok: true, value: KNOWLEDGE_DEFAULTS });
    expect(parseKnowledgeConfig({ entities: 1 })).toMatchObject({ ok: false, error: { field: "entities" } });
    expect(parseKnowledgeConfig({ factsPerDocument: 6 })).toMatchObject({ ok: false, error: { field: "factsPerDocument" } });
    expect(parseKnowledgeConfig({ qaShare: -0.1 })).toMatchObject({ ok: false, error: { field: "qaShare" } });
  });
});
