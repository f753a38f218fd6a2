/**
 * Closed-book questions about a seeded synthetic encyclopedia (issue 4; knowledge.retention
 * in docs/PROBES.md §3; docs/ZOO.md, lab rules 3 and 4). Prompt frame, distinct from every
 * other task's (lab rule 4 — no `Q:`/`A:`):
 *
 *   Fact check. Where does Korian live?
 *   Answer: Tosk
 *
 * `prompt` ends with "Answer: " (one space), `answerText` is the bare value, so
 * prompt + option is the continuation to rank; meta.options lists the attribute's options.
 * Splits: id = the standard question phrasing; n1 = the same fact in a held-out phrasing
 * (parent: the id item with the same index); ood = two-hop ("the best friend of X").
 */
import type { Rng } from "../../random/index.js";
import type { Task, Verdict, WorldItem } from "../task.js";
import { KNOWLEDGE_DEFAULTS, type KnowledgeConfig } from "./config.js";
import { itemRng } from "../seeding.js";
import { HELD_OUT_QUESTIONS, SENTENCES, STANDARD_QUESTIONS, fill } from "./templates.js";
import { ATTRIBUTES, type Attribute, type World, buildWorld } from "./world.js";

const NAME = "knowledge";

export function knowledgePrompt(question: string): string {
  return `Fact check. ${question}\nAnswer: `;
}

export interface KnowledgeMeta extends Record<string, unknown> {
  attribute: Attribute;
  options: string[];
  entity: string;
  /**
   * The fact the item asks, whatever the phrasing: "<entity>.<attribute>" ("Korian.town"),
   * and for a two-hop item the path "<entity>.friend.<attribute>". Items with the same
   * fact (an id item and its N-1 phrasing; id items past the end of the fact order) are
   * one unit for resampling (the probes' item clusters).
   */
  fact: string;
  phrasing: "standard" | "held-out" | "two-hop";
  /** Two-hop only: the entity the first hop leads to. */
  via?: string;
}

export type KnowledgeItem = WorldItem<string> & { meta: KnowledgeMeta };

/** The id of the fact an entity's attribute path names: "Korian.town", "Korian.friend.town". */
export function factId(entity: string, ...path: Attribute[]): string {
  return [entity, ...path].join(".");
}

/** A seeded order of all (entity, attribute) facts; item i asks fact i (cycling past the end). */
function factOrder(world: World, seed: number): [number, Attribute][] {
  const facts: [number, Attribute][] = [];
  world.entities.forEach((_, e) => ATTRIBUTES.forEach((a) => facts.push([e, a])));
  shuffle(itemRng(NAME, "order", seed, 0), facts);
  return facts;
}

function shuffle<T>(rng: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

function askItems(config: KnowledgeConfig, seed: number, n: number, split: "id" | "n1"): KnowledgeItem[] {
  const world = buildWorld(seed, config.entities);
  const order = factOrder(world, seed);
  const templates = split === "id" ? STANDARD_QUESTIONS : HELD_OUT_QUESTIONS;
  return Array.from({ length: n }, (_, i) => {
    const [e, attribute] = order[i % order.length];
    const entity = world.entities[e];
    const value = entity.facts[attribute];
    const item: KnowledgeItem = {
      id: `${NAME}/${split}/${seed}/${i}`,
      task: NAME,
      split,
      prompt: knowledgePrompt(fill(templates[attribute], entity.name)),
      answer: value,
      answerText: value,
      meta: {
        attribute, options: world.options[attribute], entity: entity.name, fact: factId(entity.name, attribute),
        phrasing: split === "id" ? "standard" : "held-out",
      },
    };
    if (split === "n1") item.parent = { id: `${NAME}/id/${seed}/${i}`, change: "question phrasing: standard -> held-out" };
    return item;
  });
}

/** "Where does the best friend of Korian live?": the friend's value of a non-friend attribute. */
function twoHopItems(config: KnowledgeConfig, seed: number, n: number): KnowledgeItem[] {
  const world = buildWorld(seed, config.entities);
  const byName = new Map(world.entities.map((en) => [en.name, en]));
  const attributes = ATTRIBUTES.filter((a) => a !== "friend");
  return Array.from({ length: n }, (_, i) => {
    const rng = itemRng(NAME, "ood", seed, i);
    const entity = world.entities[rng.int(world.entities.length)];
    const attribute = attributes[rng.int(attributes.length)];
    const via = entity.facts.friend;
    const value = byName.get(via)!.facts[attribute];
    return {
      id: `${NAME}/ood/${seed}/${i}`,
      task: NAME,
      split: "ood",
      prompt: knowledgePrompt(fill(STANDARD_QUESTIONS[attribute], `the best friend of ${entity.name}`)),
      answer: value,
      answerText: value,
      meta: { attribute, options: world.options[attribute], entity: entity.name, fact: factId(entity.name, "friend", attribute), phrasing: "two-hop", via },
    };
  });
}

/**
 * Exact and case-sensitive: leading whitespace (spaces, tabs, newlines) is dropped, the
 * first line is taken, trailing whitespace dropped, and it must equal the gold value
 * character for character ("tosk", "Tosk." and "Tosk is" are wrong).
 */
export function verifyKnowledge(item: WorldItem<string>, response: string): Verdict {
  const line = response.trimStart().split("\n")[0].trimEnd();
  if (line === "") return { correct: false, reason: "empty response" };
  if (line === item.answerText) return { correct: true };
  const options = (item.meta as Partial<KnowledgeMeta>).options ?? [];
  const kind = options.includes(line) ? "another option" : "not an option";
  return { correct: false, reason: `got "${line}" (${kind}), expected "${item.answerText}"` };
}

/**
 * Document i is about entity (i mod E) under a per-block shuffle, so every entity gets the
 * same number of documents; with probability qaShare it is one standard question with its
 * answer, otherwise `factsPerDocument` of its facts, each in a random phrasing.
 * NOTE: with the defaults each fact appears ≈ 0.8·n/E times as a sentence (n = 20,000
 * documents, E = 100 → ≈ 160; lab rule 3's 300+ needs n ≥ 40,000).
 */
function documents(config: KnowledgeConfig, seed: number, n: number): string[] {
  const world = buildWorld(seed, config.entities);
  const E = world.entities.length;
  const docs: string[] = [];
  let perm: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % E === 0) perm = shuffle(itemRng(NAME, "doc-block", seed, i / E), Array.from({ length: E }, (_, k) => k));
    const rng = itemRng(NAME, "doc", seed, i);
    const entity = world.entities[perm[i % E]];
    if (rng.next() < config.qaShare) {
      const a = ATTRIBUTES[rng.int(ATTRIBUTES.length)];
      docs.push(knowledgePrompt(fill(STANDARD_QUESTIONS[a], entity.name)) + entity.facts[a]);
      continue;
    }
    const attrs = shuffle(rng, [...ATTRIBUTES]).slice(0, config.factsPerDocument);
    docs.push(attrs.map((a) => fill(SENTENCES[a][rng.int(SENTENCES[a].length)], entity.name, entity.facts[a])).join(" "));
  }
  return docs;
}

export const knowledgeTask: Task<string, KnowledgeConfig> = {
  name: NAME,
  description: "Closed-book questions about a seeded synthetic encyclopedia of invented people.",
  defaults: KNOWLEDGE_DEFAULTS,
  items({ config, seed, split, n }) {
    return split === "ood" ? twoHopItems(config, seed, n) : askItems(config, seed, n, split);
  },
  verify: verifyKnowledge,
  documents: ({ config, seed, n }) => documents(config, seed, n),
};
