/**
 * A small synthetic language for engine tests and the first demo: sentences from a
 * tiny grammar with agreement ("the cat sees a dog." / "two cats see the dog.").
 * A model has to learn spelling, word order and number agreement; the entropy per
 * character is low but not zero (word choice is random), so loss falls well below
 * uniform (log 105 ≈ 4.65 nats) without reaching 0.
 */
import type { Rng } from "../random/index.js";

const nouns = ["cat", "dog", "bird", "fox", "frog", "mouse"];
const verbs = ["see", "chase", "like", "find"];
const adjectives = ["red", "small", "quick", "old"];

function pick<T>(xs: readonly T[], rng: Rng): T {
  return xs[rng.int(xs.length)];
}

function nounPhrase(rng: Rng): { text: string; plural: boolean } {
  const plural = rng.next() < 0.4;
  const det = plural ? pick(["two", "the", "some"], rng) : pick(["the", "a", "one"], rng);
  const adj = rng.next() < 0.3 ? pick(adjectives, rng) + " " : "";
  const noun = pick(nouns, rng);
  return { text: `${det} ${adj}${noun}${plural ? "s" : ""}`, plural };
}

export function toySentence(rng: Rng): string {
  const subject = nounPhrase(rng);
  const verb = pick(verbs, rng);
  const object = nounPhrase(rng);
  const v = subject.plural ? verb : verb === "chase" ? "chases" : `${verb}s`;
  return `${subject.text} ${v} ${object.text}.`;
}

/** `n` sentences, one per line. */
export function toyCorpus(n: number, rng: Rng): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(toySentence(rng));
  return lines.join("\n") + "\n";
}
