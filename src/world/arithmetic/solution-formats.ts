/**
 * The three solution formats (issue 4: natural-language steps, code-like lines, terse
 * equations), mixed in pre-training so RL has formats to choose among (Zhao et al. 2025,
 * Echo Chamber, arXiv 2504.07912). Each format has one exact line grammar; `solutionFormatOf` classifies a text by
 * parsing it against each grammar in full — never by substring (docs/PROBES.md §3, format.collapse).
 *
 *   natural  First, 3 plus 4 is 7.      code  x1 = 3 + 4 # 7      terse  3+4=7
 *            Then, 7 times 2 is 14.           x2 = 7 * 2 # 14            7*2=14
 *            Answer: 14                       Answer: 14                 Answer: 14
 *
 * A solution is its step lines, each ended by "\n", then `Answer: N` (no newline after).
 * A truncated chain is the step lines alone (each still ended by "\n"), so it is an exact
 * prefix of the full solution and `prefix + "Answer:"` is the early-answering cue.
 * Numbers are written without leading zeros; every format writes each step's result.
 */
import type { Op, Step } from "./steps.js";

export const SOLUTION_FORMATS = ["natural", "code", "terse"] as const;
export type SolutionFormat = (typeof SOLUTION_FORMATS)[number];

const NUM = "(0|[1-9][0-9]*)";
const WORD: Record<Op, string> = { "+": "plus", "-": "minus", "*": "times" };
const WORD_OP: Record<string, Op> = { plus: "+", minus: "-", times: "*" };
const ANSWER = new RegExp(`^Answer: ${NUM}$`);
const NATURAL = new RegExp(`^(First|Then), ${NUM} (plus|minus|times) ${NUM} is ${NUM}\\.$`);
const CODE = new RegExp(`^x([1-9][0-9]*) = ${NUM} ([-+*]) ${NUM} # ${NUM}$`);
const TERSE = new RegExp(`^${NUM}([-+*])${NUM}=${NUM}$`);

/** The line for step `index` (0-based) of a chain. */
export function renderStep(format: SolutionFormat, step: Step, index: number): string {
  const { a, op, b, result } = step;
  switch (format) {
    case "natural":
      return `${index === 0 ? "First" : "Then"}, ${a} ${WORD[op]} ${b} is ${result}.`;
    case "code":
      return `x${index + 1} = ${a} ${op} ${b} # ${result}`;
    case "terse":
      return `${a}${op}${b}=${result}`;
  }
}

/** Parse one line as step `index` of `format`; null when it does not match exactly. */
export function parseStepLine(format: SolutionFormat, line: string, index: number): Step | null {
  let m: RegExpExecArray | null;
  switch (format) {
    case "natural":
      m = NATURAL.exec(line);
      if (!m || m[1] !== (index === 0 ? "First" : "Then")) return null;
      return { a: Number(m[2]), op: WORD_OP[m[3]], b: Number(m[4]), result: Number(m[5]) };
    case "code":
      m = CODE.exec(line);
      if (!m || Number(m[1]) !== index + 1) return null;
      return { a: Number(m[2]), op: m[3] as Op, b: Number(m[4]), result: Number(m[5]) };
    case "terse":
      m = TERSE.exec(line);
      if (!m) return null;
      return { a: Number(m[1]), op: m[2] as Op, b: Number(m[3]), result: Number(m[4]) };
  }
}

/** Steps then, when `answer` is not null, the `Answer: N` line. */
export function renderSolution(format: SolutionFormat, steps: readonly Step[], answer: number | null): string {
  const body = steps.map((s, i) => renderStep(format, s, i) + "\n").join("");
  return answer === null ? body : `${body}Answer: ${answer}`;
}

export interface ParsedSolution {
  steps: Step[];
  /** null for a truncated chain (no `Answer:` line). */
  answer: number | null;
}

export type ParseError = { code: "bad_line"; line: number; text: string } | { code: "text_after_answer"; line: number };
export type ParseResult = { ok: true; value: ParsedSolution } | { ok: false; error: ParseError };

/**
 * Parse a whole solution (or a truncated chain) in `format`: every line a step of that
 * format in order, then optionally `Answer: N` as the last line. One trailing "\n" is
 * allowed (a truncated chain ends with one).
 */
export function parseSteps(format: SolutionFormat, text: string): ParseResult {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const steps: Step[] = [];
  let answer: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const m = ANSWER.exec(lines[i]);
    if (m) {
      if (i !== lines.length - 1) return { ok: false, error: { code: "text_after_answer", line: i } };
      answer = Number(m[1]);
      break;
    }
    const step = parseStepLine(format, lines[i], steps.length);
    if (!step) return { ok: false, error: { code: "bad_line", line: i, text: lines[i] } };
    steps.push(step);
  }
  return { ok: true, value: { steps, answer } };
}

export type SolutionClass = SolutionFormat | "answer-only" | "unknown";

/**
 * Exact structural classification: the format whose grammar parses the whole text with
 * at least one step; "answer-only" for a lone `Answer: N` line; otherwise "unknown".
 * The grammars are disjoint (lines start with "First,", "x1 =", or a digit), so at most
 * one format matches.
 */
export function solutionFormatOf(text: string): SolutionClass {
  for (const format of SOLUTION_FORMATS) {
    const r = parseSteps(format, text);
    if (r.ok && r.value.steps.length > 0) return format;
  }
  const bare = parseSteps("terse", text);
  if (bare.ok && bare.value.steps.length === 0 && bare.value.answer !== null) return "answer-only";
  return "unknown";
}

/** Every class solutionFormatOf can return, in a fixed order for tables and logs. */
export const SOLUTION_CLASSES: readonly SolutionClass[] = [...SOLUTION_FORMATS, "answer-only", "unknown"];

const ANSWER_LINE = /^Answer: (0|[1-9][0-9]*)[ \t\r]*$/;

/**
 * The format of a model's response: its lines up to and including the first
 * `Answer: N` line (what the verifier reads; a model may run on after it), trailing
 * spaces dropped, classified by solutionFormatOf. With no answer line, the whole response.
 */
export function solutionClassOf(response: string): SolutionClass {
  const lines = response.split("\n").map((l) => l.replace(/[ \t\r]+$/, ""));
  const at = lines.findIndex((l) => ANSWER_LINE.test(l));
  return solutionFormatOf((at < 0 ? lines : lines.slice(0, at + 1)).join("\n"));
}
