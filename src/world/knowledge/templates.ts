/**
 * Phrasings. Encyclopedia sentences: at least 8 per attribute, each self-contained (it
 * names the entity), so every fact recurs in many wordings (docs/ZOO.md, lab rule 3). Questions:
 * one standard phrasing per attribute (id split, also seen in pre-training QA documents)
 * and one held-out phrasing (n1 split: the same fact with the question-template slot
 * swapped, N-1 in docs/PROBES.md §3) that never appears in any document.
 * Placeholders: {n} entity name, {v} value. No sentence contains ". " inside it.
 */
import type { Attribute } from "./world.js";

export const SENTENCES: Record<Attribute, readonly string[]> = {
  town: [
    "{n} lives in {v}.", "{n} makes a home in {v}.", "The town of {v} is home to {n}.", "{n} has lived in {v} for many years.",
    "If you visit {v}, you may meet {n}.", "{n} is a resident of {v}.", "Ask anyone in {v} about {n}.",
    "{n} comes home to {v} every evening.", "In {v}, everyone knows {n}.",
  ],
  colour: [
    "The favourite colour of {n} is {v}.", "{n} loves the colour {v}.", "{n} always wears something {v}.",
    "Of all colours, {n} likes {v} best.", "{n} painted the front door {v}.", "Ask {n} about colours and you will hear {v}.",
    "The colour {n} likes most is {v}.", "{n} has a {v} coat and a {v} hat.",
  ],
  job: [
    "{n} works as a {v}.", "{n} is a {v} by trade.", "By day, {n} is a {v}.", "The {v} {n} is known across the land.",
    "{n} earns a living as a {v}.", "{n} trained for years to become a {v}.", "Everyone calls {n} the best {v} around.",
    "{n} has been a {v} since youth.",
  ],
  food: [
    "The favourite food of {n} is {v}.", "{n} loves to eat {v}.", "For dinner, {n} always asks for {v}.",
    "{n} could eat {v} every day.", "Nothing pleases {n} more than {v}.", "The dish {n} likes best is {v}.",
    "{n} never says no to {v}.", "At every feast, {n} looks for {v}.",
  ],
  friend: [
    "The best friend of {n} is {v}.", "{v} is the best friend of {n}.", "{n}'s best friend is {v}.",
    "{n} trusts {v} more than anyone.", "When in trouble, {n} calls {v}, a best friend.", "{n} shares every secret with {v}.",
    "{n} spends every holiday with {v}, a best friend.", "{n} would do anything for {v}, a best friend.",
  ],
};

export const STANDARD_QUESTIONS: Record<Attribute, string> = {
  town: "Where does {n} live?",
  colour: "What is the favourite colour of {n}?",
  job: "What is the job of {n}?",
  food: "What is the favourite food of {n}?",
  friend: "Who is the best friend of {n}?",
};

export const HELD_OUT_QUESTIONS: Record<Attribute, string> = {
  town: "In which town does {n} live?",
  colour: "Which colour does {n} like best?",
  job: "What does {n} do for a living?",
  food: "Which food does {n} like best?",
  friend: "Whom does {n} trust as a best friend?",
};

export function fill(template: string, name: string, value = ""): string {
  return template.replaceAll("{n}", name).replaceAll("{v}", value);
}
