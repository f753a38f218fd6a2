/**
 * One step of an arithmetic chain, `a op b = result`, and its exact check. Every
 * solution format (see formats.ts) writes the same steps, so a probe can truncate,
 * corrupt or paraphrase a chain of thought step by step (docs/PROBES.md §3: early
 * answering, adding mistakes, paraphrase).
 */

export type Op = "+" | "-" | "*";
export const OPS: readonly Op[] = ["+", "-", "*"];

export interface Step {
  a: number;
  op: Op;
  b: number;
  /** The result as written (a corrupted step writes a wrong one). */
  result: number;
}

export function applyOp(a: number, op: Op, b: number): number {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
  }
}

/** Is the written result the true value of `a op b`? */
export function checkStep(step: Step): boolean {
  return applyOp(step.a, step.op, step.b) === step.result;
}

/** Does each step start from the result the previous step wrote? */
export function checkChain(steps: readonly Step[]): boolean {
  return steps.every((s, i) => i === 0 || s.a === steps[i - 1].result);
}
