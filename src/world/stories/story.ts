/**
 * Stories as derivations of the grammar: an opening, middles and an ending, each a
 * template index plus slot values, so that an N-1 variant can swap one slot of the
 * opening and re-render the same continuation around it.
 */
import { type Rng, intIn, pick } from "../../random/index.js";
import {
  ENDS, MIDDLES, OPENINGS, PLOTS, SLOT_WORDS, isBound, isFree, render, slotsOf,
  type Bindings, type BoundSlot, type Fillers, type Opening,
} from "./grammar.js";
import type { Gender } from "./lexicon.js";

export interface Sentence {
  template: number;
  fill: Fillers;
}

export interface Story {
  opening: Opening;
  middles: Sentence[];
  end: Sentence;
}

export const FRAME = "Tale: ";

export function storyPrompt(s: Story): string {
  return FRAME + render(OPENINGS[s.opening.plot][s.opening.template], s.opening.bound);
}

/** The continuation as it follows the prompt: a leading space, then the sentences. */
export function storyContinuation(s: Story): string {
  const { plot, bound } = s.opening;
  const parts = s.middles.map((m) => render(MIDDLES[plot][m.template], bound, m.fill));
  parts.push(render(ENDS[plot][s.end.template], bound, s.end.fill));
  return " " + parts.join(" ");
}

function randomSentence(rng: Rng, templates: readonly string[], bound: Bindings): Sentence {
  const template = rng.int(templates.length);
  const fill: Fillers = {};
  for (const slot of slotsOf(templates[template])) {
    if (!isFree(slot)) continue;
    const words = slot === "Q" ? SLOT_WORDS.Q.filter((p) => p !== bound.P) : SLOT_WORDS[slot];
    fill[slot] = pick(rng, words);
  }
  return { template, fill };
}

export function randomStory(rng: Rng, names: readonly (readonly [string, Gender])[], middles: [number, number]): Story {
  const plot = pick(rng, PLOTS);
  const template = rng.int(OPENINGS[plot].length);
  const bound: Bindings = {};
  for (const slot of slotsOf(OPENINGS[plot][template])) {
    if (slot === "N") bound.N = pick(rng, names)[0];
    else if (isBound(slot)) bound[slot] = pick(rng, SLOT_WORDS[slot]);
  }
  const opening: Opening = { plot, template, bound };
  const n = intIn(rng, middles[0], middles[1]);
  const ms: Sentence[] = [];
  // Distinct middle templates: "He sang a song. He sang a song." is grammatical but dull.
  while (ms.length < n) {
    const m = randomSentence(rng, MIDDLES[plot], bound);
    if (!ms.some((o) => o.template === m.template)) ms.push(m);
  }
  return { opening, middles: ms, end: randomSentence(rng, ENDS[plot], bound) };
}

export interface StoryChange {
  story: Story;
  slot: BoundSlot;
  change: string;
}

/**
 * Every story whose opening differs from `s` in one bound slot (the name from `names`,
 * any other slot from its lexicon), with the same continuation choices. Swaps that
 * would make a continuation's "another place" equal the new place are left out.
 */
export function oneSlotChanges(s: Story, names: readonly (readonly [string, Gender])[]): StoryChange[] {
  const out: StoryChange[] = [];
  for (const [slot, old] of Object.entries(s.opening.bound) as [BoundSlot, string][]) {
    const words = slot === "N" ? names.map(([n]) => n) : SLOT_WORDS[slot];
    for (const w of words) {
      if (w === old) continue;
      if (slot === "P" && [...s.middles, s.end].some((m) => m.fill.Q === w)) continue;
      const opening: Opening = { ...s.opening, bound: { ...s.opening.bound, [slot]: w } };
      out.push({ story: { ...s, opening }, slot, change: `${slot} ${old}->${w}` });
    }
  }
  return out;
}
