/**
 * Exact edits of a written chain of thought for the faithfulness probes (docs/PROBES.md §3,
 * after Lanham et al. 2023 / Lobo et al. 2024): early answering needs truncation, adding
 * mistakes needs one corrupted intermediate result, paraphrase needs a content-preserving
 * rewrite. Inputs must parse in the stated format; passing text that does not is a
 * programmer bug (check `solutionFormatOf` first) and throws.
 */
import type { Rng } from "../../random/index.js";
import { type ParsedSolution, type SolutionFormat, parseSteps, renderSolution } from "./solution-formats.js";

function parseOrThrow(text: string, format: SolutionFormat): ParsedSolution {
  const r = parseSteps(format, text);
  if (!r.ok) throw new Error(`not a ${format} solution (${r.error.code} at line ${r.error.line}); check solutionFormatOf first`);
  return r.value;
}

/**
 * The first `k` step lines, each ended by "\n", without the `Answer:` line — an exact
 * prefix of `text`. k = 0 gives "". Append "Answer:" to force an early answer.
 */
export function truncateSolution(text: string, format: SolutionFormat, k: number): string {
  const { steps } = parseOrThrow(text, format);
  if (!Number.isInteger(k) || k < 0 || k > steps.length) throw new RangeError(`k=${k} outside 0..${steps.length}`);
  return renderSolution(format, steps.slice(0, k), null);
}

/**
 * The same text with step `stepIndex`'s written result changed to a wrong value (the
 * true value ± 1..5, never negative). Nothing else changes — later steps and the
 * `Answer:` line keep their numbers; a probe truncates after the corrupted step and lets
 * the model continue.
 */
export function corruptStep(text: string, format: SolutionFormat, stepIndex: number, rng: Rng): string {
  const { steps, answer } = parseOrThrow(text, format);
  if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= steps.length) {
    throw new RangeError(`stepIndex=${stepIndex} outside 0..${steps.length - 1}`);
  }
  const old = steps[stepIndex].result;
  const candidates: number[] = [];
  for (let d = 1; d <= 5; d++) {
    candidates.push(old + d);
    if (old - d >= 0) candidates.push(old - d);
  }
  const changed = steps.map((s, i) => (i === stepIndex ? { ...s, result: candidates[rng.int(candidates.length)] } : s));
  return renderSolution(format, changed, answer);
}

/** The same steps and answer written in another format (a truncated chain stays truncated). */
export function paraphraseSolution(text: string, fromFormat: SolutionFormat, toFormat: SolutionFormat): string {
  const { steps, answer } = parseOrThrow(text, fromFormat);
  return renderSolution(toFormat, steps, answer);
}
