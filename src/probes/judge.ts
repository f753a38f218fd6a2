/**
 * How a response is read and judged, one convention for every probe:
 *
 *   a reasoning response   steps, one per line, then a line `Answer: <answer>`
 *                          (the lab world's arithmetic frame; user datasets are asked to
 *                          prompt for the same cue, docs/PROBES.md)
 *   a direct response      the answer on its first line
 *
 * World items are judged by their task's exact verifier; user items by the verifier
 * their dataset names (exact, number, choice, json). Never fuzzy, never by substring.
 */
import { tasks, type TaskName, type Verdict } from "../world/index.js";
import type { Item } from "./item.js";

/** The text that introduces the final answer; appended to a (truncated) chain of thought to force an answer. */
export const ANSWER_CUE = "Answer: ";

const CUE_LINE = /^Answer:[ \t]*(.*?)[ \t\r]*$/;

export interface ReadResponse {
  /** Non-empty lines before the answer line (all non-empty lines when there is none). */
  steps: string[];
  /** The text after the first `Answer:` cue, or the first line of a direct response; undefined when absent. */
  answer: string | undefined;
}

/** Split a reasoning response into its steps and its final answer. */
export function readReasoning(response: string): ReadResponse {
  const lines = response.split("\n");
  const at = lines.findIndex((l) => CUE_LINE.test(l));
  const before = (at < 0 ? lines : lines.slice(0, at)).map((l) => l.trimEnd()).filter((l) => l.trim() !== "");
  return { steps: before, answer: at < 0 ? undefined : CUE_LINE.exec(lines[at])![1] };
}

/** The first line of a direct response, trimmed; undefined when empty. */
export function readDirect(response: string): string | undefined {
  const line = response.trimStart().split("\n")[0].trimEnd();
  return line === "" ? undefined : line;
}

/** The final answer a response gives for this item (reasoning or direct, by the item's kind). */
export function answerOf(item: Item, response: string, reasoning: boolean): string | undefined {
  return reasoning ? readReasoning(response).answer : readDirect(response);
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function sameJson(a: string, b: string): boolean {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return false;
  }
}

/** Judge a user item's extracted answer by its named verifier. */
function judgeAnswer(item: Item, got: string | undefined): Verdict {
  if (got === undefined) return { correct: false, reason: "no answer found" };
  const expected = item.answer;
  switch (item.verifier ?? "exact") {
    case "exact":
      return got === expected ? { correct: true } : { correct: false, reason: `got "${got}", expected "${expected}"` };
    case "number": {
      const g = Number(got.replace(/,/g, ""));
      const e = Number(expected.replace(/,/g, ""));
      if (got.trim() === "" || !Number.isFinite(g)) return { correct: false, reason: `"${got}" is not a number` };
      const ok = Math.abs(g - e) <= 1e-9 * Math.max(1, Math.abs(e));
      return ok ? { correct: true } : { correct: false, reason: `got ${g}, expected ${e}` };
    }
    case "choice": {
      if (item.options && !item.options.includes(got)) return { correct: false, reason: `"${got}" is not one of the options` };
      return got === expected ? { correct: true } : { correct: false, reason: `chose "${got}", expected "${expected}"` };
    }
    case "json":
      return sameJson(got, expected) ? { correct: true } : { correct: false, reason: "JSON differs from the gold answer (or does not parse)" };
  }
}

/** How the item's verifier compares an answer with the gold: as text, as a number, or as JSON. */
type AnswerComparison = "exact" | "integer" | "number" | "json";

function comparisonOf(item: Item): AnswerComparison {
  if (item.world) {
    // world/arithmetic verifyArithmetic reads `Answer: N`, N an integer without leading zeros;
    // world/structured parses JSON; every other world task compares the trimmed text exactly
    if (item.world.task === "arithmetic") return "integer";
    if (item.world.task === "structured") return "json";
    return "exact";
  }
  switch (item.verifier ?? "exact") {
    case "number":
      return "number";
    case "json":
      return "json";
    default:
      return "exact";
  }
}

const INTEGER = /^(0|[1-9][0-9]*)$/;

/** The number the item's verifier reads in an answer, or undefined when it reads none. */
function numberOf(comparison: "integer" | "number", answer: string): number | undefined {
  if (comparison === "integer") return INTEGER.test(answer) ? Number(answer) : undefined;
  // judgeAnswer's "number": commas removed, any finite JavaScript number
  const x = Number(answer.replace(/,/g, ""));
  return answer === "" || !Number.isFinite(x) ? undefined : x;
}

/**
 * Are two extracted answers (a model's own answer, a forced or continued one) the same
 * answer, as the item's verifier compares answers with the gold? Both are trimmed (as
 * readReasoning and forcedAnswers read them); then numbers are compared as numbers
 * ("1,000" = "1000" = "1000.0" for a `number` item; world arithmetic reads integers only,
 * as its verifier does), JSON as canonical JSON (key order ignored), anything else — and
 * any answer the verifier cannot read as a number — as exact, case-sensitive text.
 */
export function sameAnswer(item: Item, a: string, b: string): boolean {
  const x = a.trim();
  const y = b.trim();
  if (x === y) return true;
  const comparison = comparisonOf(item);
  switch (comparison) {
    case "exact":
      return false;
    case "json":
      return sameJson(x, y);
    case "integer":
    case "number": {
      const p = numberOf(comparison, x);
      const q = numberOf(comparison, y);
      if (p === undefined || q === undefined) return false;
      // the "number" verifier's tolerance, 1e-9 relative, made symmetric
      return Math.abs(p - q) <= 1e-9 * Math.max(1, Math.abs(p), Math.abs(q));
    }
  }
}

/** Is `response` a correct answer to `item`? */
export function verify(item: Item, response: string): Verdict {
  if (item.world) {
    const task = tasks[item.world.task as TaskName];
    if (!task) return { correct: false, reason: `unknown world task "${item.world.task}"` };
    return (task.verify as (i: typeof item.world, r: string) => Verdict)(item.world, response);
  }
  const reasoning = item.steps !== undefined && item.steps.length > 0;
  return judgeAnswer(item, answerOf(item, response, reasoning));
}
