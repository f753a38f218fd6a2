/** The stories task: a stochastic story grammar with an exact recognizer. */
export { storiesTask, STORIES_DEFAULTS, openingOf, type StoriesConfig } from "./task.js";
export {
  ENDS, MAX_MIDDLES, MIDDLES, OPENINGS, PLOTS, SLOT_WORDS, matchTemplate, recognizeContinuation, recognizeOpening, render, splitSentences,
  type Bindings, type BoundSlot, type Fillers, type FreeSlot, type Opening, type Plot, type Recognition, type Slot,
} from "./grammar.js";
export { FRAME, oneSlotChanges, randomStory, storyContinuation, storyPrompt, type Sentence, type Story, type StoryChange } from "./story.js";
export { NAMES, OOD_NAMES } from "./lexicon.js";
