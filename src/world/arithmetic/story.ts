/**
 * The words around a chain: who, what, and which verb writes each operation. Each number
 * comes right after its verb, in the order the operations apply (docs/ZOO.md, lab rule 1: small
 * models copied operands out of the question poorly, so the text keeps them in place).
 *
 *   Mara has 3 shells. She finds 4 more. She multiplies them by 2. How many shells does Mara have now?
 *
 * NOTE: (name, noun) pairs with (name + noun) % 6 === 0 are reserved for evaluation items;
 * pre-training documents never use them, so no eval problem can appear verbatim in the
 * pre-training text (every name and every noun still appears in both).
 */
import type { Rng } from "../../random/index.js";
import type { Chain } from "./chain-sample.js";
import type { Op } from "./steps.js";

const PEOPLE: readonly [string, string][] = [
  ["Mara", "She"], ["Tom", "He"], ["Lena", "She"], ["Omar", "He"], ["Ines", "She"], ["Pavel", "He"],
  ["Rosa", "She"], ["Kenji", "He"], ["Nadia", "She"], ["Felix", "He"], ["Ada", "She"], ["Jonas", "He"],
  ["Zoe", "She"], ["Luca", "He"], ["Priya", "She"], ["Sam", "He"],
];
const NOUNS = ["shells", "marbles", "coins", "stickers", "apples", "pencils", "stamps", "beads", "cards", "buttons", "acorns", "pebbles"];

/** Four verbs per op, so swapping an op keeps the verb's variant index. */
const VERBS: Record<Op, readonly string[]> = {
  "+": ["finds {b} more", "gets {b} more", "buys {b} more", "picks up {b} more"],
  "-": ["loses {b}", "gives away {b}", "sells {b}", "drops {b}"],
  "*": ["multiplies them by {b}", "swaps each one for {b}", "turns each one into {b}", "trades each one for {b}"],
};
const VARIANTS = 4;

export interface Story {
  person: number;
  noun: number;
  /** Verb variant per operation, 0..3. */
  verbs: number[];
}

export function isEvalStory(story: Story): boolean {
  return (story.person + story.noun) % 6 === 0;
}

/** A story for `steps` operations, drawn from the eval pairs or from the rest. */
export function sampleStory(rng: Rng, steps: number, forEval: boolean): Story {
  for (;;) {
    const story = { person: rng.int(PEOPLE.length), noun: rng.int(NOUNS.length), verbs: [] as number[] };
    for (let i = 0; i < steps; i++) story.verbs.push(rng.int(VARIANTS));
    if (isEvalStory(story) === forEval) return story;
  }
}

export function renderProblem(chain: Chain, story: Story): string {
  const [name, pronoun] = PEOPLE[story.person];
  const noun = NOUNS[story.noun];
  const parts = [`${name} has ${chain.start} ${noun}.`];
  chain.ops.forEach(({ op, b }, i) => parts.push(`${pronoun} ${VERBS[op][story.verbs[i]].replace("{b}", String(b))}.`));
  parts.push(`How many ${noun} does ${name} have now?`);
  return parts.join(" ");
}
