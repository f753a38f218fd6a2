/**
 * The stories task: gold continuations and freshly sampled ones are well formed, each
 * kind of corruption is rejected with its reason, N-1 openings swap exactly one slot,
 * out-of-distribution names never occur in pre-training, and everything is seeded.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer } from "../../src/model/tokenizer.js";
import {
  NAMES, OOD_NAMES, STORIES_DEFAULTS, openingOf, randomStory, recognizeContinuation, splitSentences, storiesTask, storyContinuation,
  storyPrompt, type Bindings, type Story,
} from "../../src/world/stories/index.js";
import type { Split, WorldItem } from "../../src/world/task.js";

const N = 1000;
const cfg = STORIES_DEFAULTS;
const gen = (split: Split, seed = 9, n = N): WorldItem<string>[] => storiesTask.items({ config: cfg, seed, split, n });
const ids = gen("id");
const n1s = gen("n1");
const oods = gen("ood");
const storyOf = (it: WorldItem<string>): Story => it.meta.story as Story;
const rejects = (it: WorldItem<string>, text: string, reason: RegExp): void => {
  const v = storiesTask.verify(it, text);
  expect(v.correct, `${it.prompt} |${text}`).toBe(false);
  expect(v.reason).toMatch(reason);
};

describe("stories: well-formed continuations", () => {
  it("accepts every gold continuation, recognizes every opening, and says why", () => {
    for (const it of [...ids, ...n1s, ...oods]) {
      const v = storiesTask.verify(it, it.answerText);
      expect(v, `${it.prompt}${it.answerText}`).toEqual({ correct: true, reason: "well formed under the story grammar (no single right answer)" });
      const opening = openingOf(it.prompt);
      expect(opening).toEqual(storyOf(it).opening);
      expect(it.prompt.length + it.answerText.length).toBeLessThanOrEqual(120);
    }
  });

  it("has no single right answer: other continuations sampled from the grammar for the same opening pass too", () => {
    const rng = createRng(4);
    let distinct = 0;
    for (const it of ids.slice(0, 300)) {
      const s = storyOf(it);
      const others = new Set<string>();
      for (let k = 0; k < 8; k++) {
        let t: Story;
        do t = randomStory(rng, NAMES, [1, 2]);
        while (t.opening.plot !== s.opening.plot);
        const alt: Story = { ...t, opening: s.opening };
        // Middles may use "another place"; skip a draw that hits the opening's own place.
        if ([...alt.middles, alt.end].some((m) => m.fill.Q === s.opening.bound.P)) continue;
        const text = storyContinuation(alt);
        expect(storiesTask.verify(it, text).correct, `${it.prompt}${text}`).toBe(true);
        others.add(text);
      }
      distinct += others.size;
    }
    expect(distinct).toBeGreaterThan(300 * 5);
  });
});

describe("stories: corruptions are rejected with a reason", () => {
  it("wrong pronoun, wrong name, wrong object, unknown word, word order, missing ending, too short, other plot, bad spacing", () => {
    const other = (it: WorldItem<string>): WorldItem<string> => ids.find((o) => storyOf(o).opening.plot !== storyOf(it).opening.plot)!;
    for (const it of ids) {
      const text = it.answerText;
      const b: Bindings = storyOf(it).opening.bound;
      const sentences = splitSentences(text.trim())!;
      if (/\b(He|She)\b/.test(text)) rejects(it, text.replace(/\b(He|She)\b/, (m) => (m === "He" ? "She" : "He")), /disagrees/);
      if (text.includes(` ${b.N} `)) {
        const otherName = NAMES.find(([n]) => n !== b.N)![0];
        rejects(it, text.replace(` ${b.N} `, ` ${otherName} `), /disagrees/);
      }
      if (b.O && text.includes(` ${b.O} `)) rejects(it, text.replace(` ${b.O} `, b.O === "hat" ? " cup " : " hat "), /disagrees/);
      rejects(it, text.replace(/ [a-z]+\./, " zzz."), /not in the grammar/);
      const words = sentences[0].split(" ");
      [words[0], words[1]] = [words[1], words[0]];
      rejects(it, [words.join(" "), ...sentences.slice(1)].join(" "), /not in the grammar/);
      rejects(it, sentences.slice(0, -1).join(" "), /too short|ending sentence/);
      rejects(it, sentences[sentences.length - 1], /too short/);
      rejects(it, other(it).answerText, /not in the grammar|disagrees/);
      rejects(it, text.replace(". ", ".  "), /not a sequence/);
      rejects(it, text.replace(/\.$/, ""), /not a sequence/);
      rejects(it, "", /not a sequence|too short/);
    }
  });

  it("rejects more than the grammar's sentences and a repeated opening", () => {
    for (const it of ids.slice(0, 200)) {
      const s = splitSentences(it.answerText.trim())!;
      rejects(it, [...s.slice(0, -1), ...s.slice(0, -1), ...s.slice(0, -1), s[s.length - 1]].join(" "), /too long/);
      rejects(it, `${it.prompt.slice("Tale: ".length)}${it.answerText}`, /not in the grammar|too long/);
    }
  });
});

describe("stories: splits", () => {
  it("N-1 openings swap exactly one slot of their parent's opening", () => {
    n1s.forEach((it, i) => {
      expect(it.parent?.id).toBe(ids[i].id);
      const a = storyOf(it).opening;
      const b = storyOf(ids[i]).opening;
      expect(a.plot).toBe(b.plot);
      expect(a.template).toBe(b.template);
      const keys = Object.keys(b.bound) as (keyof Bindings)[];
      expect(Object.keys(a.bound).sort()).toEqual(keys.slice().sort());
      expect(keys.filter((k) => a.bound[k] !== b.bound[k]), it.parent?.change).toHaveLength(1);
    });
  });

  it("no N-1 prompt equals an in-distribution prompt; no evaluation opening is in the documents", () => {
    const idPrompts = new Set(gen("id", 9, 3 * N).map((x) => x.prompt));
    const docs = storiesTask.documents({ config: cfg, seed: 9, n: 3 * N });
    const docPrompts = new Set(docs.map((d) => d.slice(0, d.indexOf(".") + 1)));
    for (const it of n1s) expect(idPrompts.has(it.prompt) || docPrompts.has(it.prompt)).toBe(false);
    for (const it of ids) expect(docPrompts.has(it.prompt)).toBe(false);
  });

  it("out-of-distribution names are unseen: not in the name list, not in any document", () => {
    const ood = new Set(OOD_NAMES.map(([n]) => n));
    for (const [n] of NAMES) expect(ood.has(n)).toBe(false);
    for (const it of oods) expect(ood.has(storyOf(it).opening.bound.N!)).toBe(true);
    const docs = storiesTask.documents({ config: cfg, seed: 9, n: 3000 });
    for (const d of docs) for (const n of ood) expect(d.includes(n)).toBe(false);
  });

  it("documents are well-formed, within 120 characters and diverse", () => {
    const docs = storiesTask.documents({ config: cfg, seed: 9, n: 2000 });
    for (const d of docs) {
      const i = d.indexOf(".") + 1;
      const opening = openingOf(d.slice(0, i));
      expect(opening, d).not.toBeNull();
      expect(recognizeContinuation(opening!, d.slice(i)).ok, d).toBe(true);
      expect(d.length).toBeLessThanOrEqual(120);
    }
    expect(new Set(docs).size).toBeGreaterThan(1950);
    const endings = new Set(docs.map((d) => d.slice(d.lastIndexOf(". ") + 2).replace(/[A-Z][a-z]+/g, "N")));
    expect(endings.size).toBeGreaterThan(50);
  });

  it("same seed → byte-identical items and documents; another seed → different", () => {
    for (const split of ["id", "n1", "ood"] as const) {
      expect(JSON.stringify(gen(split, 3, 200))).toBe(JSON.stringify(gen(split, 3, 200)));
      expect(JSON.stringify(gen(split, 3, 200))).not.toBe(JSON.stringify(gen(split, 4, 200)));
      expect(JSON.stringify(gen(split, 3, 50))).toBe(JSON.stringify(gen(split, 3, 200).slice(0, 50)));
    }
    const docs = (seed: number): string => storiesTask.documents({ config: cfg, seed, n: 300 }).join("\u0000");
    expect(docs(3)).toBe(docs(3));
    expect(docs(3)).not.toBe(docs(4));
  });

  it("all text tokenizes without <unk>", () => {
    const tok = new CharTokenizer();
    const texts = [...ids, ...n1s, ...oods].flatMap((it) => [it.prompt, it.answerText]);
    texts.push(...storiesTask.documents({ config: cfg, seed: 9, n: 1000 }));
    for (const t of texts) expect(tok.encode(t).includes(tok.unk)).toBe(false);
    expect(storyPrompt(storyOf(ids[0]))).toBe(ids[0].prompt);
  });
});
