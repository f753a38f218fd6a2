/**
 * `stories`: continue a story opening within a stochastic grammar. There is no single
 * right answer: `verify` accepts any well-formed continuation (every sentence a
 * production of the opening's plot, agreeing with its bindings) — the creative-writing
 * side of Shypula et al. 2025 (arXiv 2504.12522; diversity in docs/PROBES.md §3), where
 * diversity is measured among valid outputs.
 */
import type { Split, Task, Verdict, WorldItem } from "../task.js";
import { recognizeContinuation, recognizeOpening, type Opening } from "./grammar.js";
import { NAMES, OOD_NAMES } from "./lexicon.js";
import { FRAME, oneSlotChanges, randomStory, storyContinuation, storyPrompt, type Story } from "./story.js";
import { shuffled } from "../../random/index.js";
import { bucketOf, rngFor, type Bucket } from "../seeding.js";

export interface StoriesConfig {
  /** Middle sentences in a generated continuation (the grammar allows 1–2). */
  middles: [number, number];
  /** Upper bound on prompt + continuation characters (context 128 in the easy setting). */
  maxChars: number;
}

export const STORIES_DEFAULTS: StoriesConfig = { middles: [1, 2], maxChars: 120 };

const NAME = "stories";

function fits(cfg: StoriesConfig, s: Story): boolean {
  return storyPrompt(s).length + storyContinuation(s).length <= cfg.maxChars;
}

function storyIn(key: string, cfg: StoriesConfig, names: typeof NAMES, bucket: Bucket | null): Story {
  const rng = rngFor(key);
  for (;;) {
    const s = randomStory(rng, names, cfg.middles);
    if (fits(cfg, s) && (bucket === null || bucketOf(storyPrompt(s)) === bucket)) return s;
  }
}

function makeItem(s: Story, split: Split, seed: number, index: number): WorldItem<string> {
  const answerText = storyContinuation(s);
  return {
    id: `${NAME}/${split}/${seed}/${index}`, task: NAME, split,
    prompt: storyPrompt(s), answer: answerText, answerText,
    meta: { story: s, plot: s.opening.plot, bindings: s.opening.bound },
  };
}

function item(cfg: StoriesConfig, seed: number, split: Split, index: number): WorldItem<string> {
  const key = `${NAME}/${split}/${seed}/${index}`;
  if (split === "ood") return makeItem(storyIn(key, cfg, OOD_NAMES, null), split, seed, index);
  const parent = storyIn(`${NAME}/id/${seed}/${index}`, cfg, NAMES, "id");
  if (split === "id") return makeItem(parent, split, seed, index);
  for (const c of shuffled(rngFor(key), oneSlotChanges(parent, NAMES))) {
    if (!fits(cfg, c.story) || bucketOf(storyPrompt(c.story)) !== "n1") continue;
    return { ...makeItem(c.story, split, seed, index), parent: { id: `${NAME}/id/${seed}/${index}`, change: c.change } };
  }
  // NOTE: never seen; an opening with dozens of one-slot swaps and none usable would be a generator bug.
  throw new Error(`stories: no N-1 neighbour for ${NAME}/id/${seed}/${index}`);
}

/** The opening of a prompt in this task's frame, or null. */
export function openingOf(prompt: string): Opening | null {
  return prompt.startsWith(FRAME) ? recognizeOpening(prompt.slice(FRAME.length)) : null;
}

export const storiesTask: Task<string, StoriesConfig> = {
  name: NAME,
  description: "continue a story opening; any continuation well formed under the story grammar is correct",
  defaults: STORIES_DEFAULTS,
  items({ config, seed, split, n }) {
    return Array.from({ length: n }, (_, i) => item(config, seed, split, i));
  },
  verify(item, response): Verdict {
    const opening = openingOf(item.prompt);
    if (!opening) return { correct: false, reason: "item prompt is not a story opening" };
    const r = recognizeContinuation(opening, response);
    return r.ok
      ? { correct: true, reason: "well formed under the story grammar (no single right answer)" }
      : { correct: false, reason: `not well formed: ${r.reason}` };
  },
  documents({ config, seed, n }) {
    const rng = rngFor(`${NAME}/documents/${seed}`);
    return Array.from({ length: n }, () => {
      for (;;) {
        const s = randomStory(rng, NAMES, config.middles);
        if (fits(config, s) && bucketOf(storyPrompt(s)) === "documents") return storyPrompt(s) + storyContinuation(s);
      }
    });
  },
};
