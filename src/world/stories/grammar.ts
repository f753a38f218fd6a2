/**
 * The story grammar: an opening sentence fixes a plot and binds slots (name, animal,
 * place, and the plot's object or food); the continuation is 1–2 middle sentences of
 * that plot and one ending. Templates are the productions; `{X}` is a slot filled from
 * the lexicon. A continuation is well formed when every sentence is a production of
 * the right kind and its bound slots agree with the opening (same name, the pronoun of
 * that name, the same object …). The recognizer below is exact; there is no single
 * right continuation.
 */
import {
  ANIMALS, COLORS, FEELINGS, FOODS, GENDER, HELPERS, NAMES, OBJECTS, OOD_NAMES, PLACES, SPOTS, TIMES, capitalize, pronouns,
} from "./lexicon.js";

export type Plot = "lost" | "hungry" | "lonely";
export const PLOTS: readonly Plot[] = ["lost", "hungry", "lonely"];

/** Slots an opening binds (pronouns follow from the name). */
export type BoundSlot = "N" | "A" | "P" | "C" | "O" | "F" | "T";
/** Slots a continuation fills freely: helper, capitalised helper, spot, another place, feeling. */
export type FreeSlot = "H" | "Hc" | "S" | "Q" | "G";
type PronounSlot = "He" | "he" | "his" | "him";
export type Slot = BoundSlot | FreeSlot | PronounSlot;

export const OPENINGS: Record<Plot, readonly string[]> = {
  lost: [
    "{N} the {A} lost {his} {C} {O} at the {P}.",
    "{T}, {N} the {A} lost {his} {C} {O} at the {P}.",
    "At the {P}, {N} the {A} could not find {his} {C} {O}.",
  ],
  hungry: [
    "{N} the {A} wanted {F} at the {P}.",
    "{T}, {N} the {A} was hungry for {F} at the {P}.",
    "At the {P}, {N} the {A} had no {F} left.",
  ],
  lonely: [
    "{N} the {A} felt lonely at the {P}.",
    "{T}, {N} the {A} was sad and alone at the {P}.",
    "Nobody played with {N} the {A} at the {P}.",
  ],
};

export const MIDDLES: Record<Plot, readonly string[]> = {
  lost: [
    "{He} asked {H} for help.",
    "{He} looked all over the {P}.",
    "{He} searched {S}.",
    "{Hc} helped {him} look.",
    "{He} ran to the {Q} to look.",
    "{He} looked for the {O} all day.",
  ],
  hungry: [
    "{He} asked {H} for some {F}.",
    "{He} walked to the {Q}.",
    "{Hc} had lots of {F}.",
    "{He} looked {S}.",
    "{He} went to the {Q} to find {F}.",
  ],
  lonely: [
    "Then {he} met {H}.",
    "{Hc} came to the {P}.",
    "{He} went to the {Q} to find a friend.",
    "{He} waved at {H}.",
    "{He} sang a song.",
  ],
};

const GENERAL_ENDS = ["{N} was very {G}.", "{He} went home {G}."];

export const ENDS: Record<Plot, readonly string[]> = {
  lost: ["They found the {O} {S}.", "The {C} {O} was {S}.", "{N} found it {S} and smiled.", "At last {he} found {his} {O}.", ...GENERAL_ENDS],
  hungry: ["They shared the {F} and {N} was {G}.", "{N} ate the {F} and smiled.", "Soon {he} had {F} to eat.", ...GENERAL_ENDS],
  lonely: ["They played all day.", "Now {N} had a friend.", "{N} and {his} new friend sang.", ...GENERAL_ENDS],
};

/** Most middle sentences a continuation may have. */
export const MAX_MIDDLES = 2;

/** Every word a slot may hold (for recognition; generation picks names from one list). */
export const SLOT_WORDS: Record<Slot, readonly string[]> = {
  N: [...NAMES, ...OOD_NAMES].map(([n]) => n),
  A: ANIMALS, P: PLACES, Q: PLACES, C: COLORS, O: OBJECTS, F: FOODS, T: TIMES, G: FEELINGS,
  H: HELPERS, Hc: HELPERS.map(capitalize), S: SPOTS,
  He: ["He", "She"], he: ["he", "she"], his: ["his", "her"], him: ["him", "her"],
};

export type Bindings = Partial<Record<BoundSlot, string>>;
export type Fillers = Partial<Record<FreeSlot, string>>;

export interface Opening {
  plot: Plot;
  template: number;
  bound: Bindings;
}

export function slotsOf(template: string): Slot[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as Slot);
}

export function isBound(s: Slot): s is BoundSlot {
  return s === "N" || s === "A" || s === "P" || s === "C" || s === "O" || s === "F" || s === "T";
}

export function isFree(s: Slot): s is FreeSlot {
  return s === "H" || s === "Hc" || s === "S" || s === "Q" || s === "G";
}

/** The value a bound or pronoun slot must have under `bound`, or undefined for a free slot. */
function required(slot: Slot, bound: Bindings): string | undefined {
  if (isBound(slot)) return bound[slot];
  if (isFree(slot)) return undefined;
  const g = GENDER.get(bound.N ?? "");
  return g === undefined ? undefined : pronouns(g)[slot];
}

export function render(template: string, bound: Bindings, fill: Fillers = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, s: Slot) => {
    const v = isFree(s) ? fill[s] : required(s, bound);
    if (v === undefined) throw new Error(`story template slot {${s}} has no value`);
    return v;
  });
}

// ---- recognition -------------------------------------------------------------------

interface Compiled {
  re: RegExp;
  slots: Slot[];
}
const compiled = new Map<string, Compiled>();

function compile(template: string): Compiled {
  let c = compiled.get(template);
  if (!c) {
    const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const parts = template.split(/\{(\w+)\}/);
    const src = parts
      .map((p, i) => (i % 2 === 0 ? esc(p) : `(${[...SLOT_WORDS[p as Slot]].sort((a, b) => b.length - a.length).map(esc).join("|")})`))
      .join("");
    c = { re: new RegExp(`^${src}$`), slots: slotsOf(template) };
    compiled.set(template, c);
  }
  return c;
}

/** Slot values if `sentence` is an instance of `template` (ignoring agreement), else null. */
export function matchTemplate(template: string, sentence: string): Partial<Record<Slot, string>> | null {
  const { re, slots } = compile(template);
  const m = re.exec(sentence);
  if (!m) return null;
  const out: Partial<Record<Slot, string>> = {};
  slots.forEach((s, i) => {
    out[s] = m[i + 1];
  });
  return out;
}

/** Why `values` disagree with the opening, or null if they agree. */
function disagreement(values: Partial<Record<Slot, string>>, bound: Bindings): string | null {
  for (const [slot, v] of Object.entries(values) as [Slot, string][]) {
    if (slot === "Q") {
      if (v === bound.P) return `"${v}" must be another place than the opening's`;
      continue;
    }
    const want = required(slot, bound);
    if (want !== undefined && v !== want) return `"${v}" disagrees with the opening (want "${want}")`;
    if (want === undefined && !isFree(slot)) return `{${slot}} is not bound by the opening`;
  }
  return null;
}

export type Recognition = { ok: true } | { ok: false; reason: string };

function recognizeSentence(sentence: string, templates: readonly string[], bound: Bindings, kind: string): Recognition {
  let reason = `${kind} sentence not in the grammar: "${sentence}"`;
  for (const t of templates) {
    const values = matchTemplate(t, sentence);
    if (!values) continue;
    const why = disagreement(values, bound);
    if (why === null) return { ok: true };
    reason = `${kind} sentence: ${why}`;
  }
  return { ok: false, reason };
}

/** The opening's plot and bindings if `sentence` is an opening production with agreeing pronouns. */
export function recognizeOpening(sentence: string): Opening | null {
  for (const plot of PLOTS) {
    for (const [index, t] of OPENINGS[plot].entries()) {
      const values = matchTemplate(t, sentence);
      if (!values) continue;
      const bound: Bindings = {};
      for (const [s, v] of Object.entries(values) as [Slot, string][]) if (isBound(s)) bound[s] = v;
      if (disagreement(values, bound) === null) return { plot, template: index, bound };
    }
  }
  return null;
}

/** Splits text into sentences ("A. B." → ["A.", "B."]); null unless separated by exactly one space. */
export function splitSentences(text: string): string[] | null {
  const sentences = text.split(/(?<=\.) /);
  const ok = sentences.every((s) => s.length > 1 && s.endsWith(".") && s.indexOf(".") === s.length - 1 && !s.startsWith(" "));
  return ok ? sentences : null;
}

/** Is `text` (trimmed) a well-formed continuation of `opening`: 1–MAX_MIDDLES middles, then one ending? */
export function recognizeContinuation(opening: Opening, text: string): Recognition {
  const sentences = splitSentences(text.trim());
  if (!sentences) return { ok: false, reason: "not a sequence of sentences ending in periods, one space apart" };
  if (sentences.length < 2) return { ok: false, reason: "too short: needs a middle and an ending" };
  if (sentences.length > MAX_MIDDLES + 1) return { ok: false, reason: `too long: at most ${MAX_MIDDLES + 1} sentences` };
  for (const s of sentences.slice(0, -1)) {
    const r = recognizeSentence(s, MIDDLES[opening.plot], opening.bound, "middle");
    if (!r.ok) return r;
  }
  return recognizeSentence(sentences[sentences.length - 1], ENDS[opening.plot], opening.bound, "ending");
}
