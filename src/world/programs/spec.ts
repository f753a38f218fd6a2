/**
 * A program's specification: a start value and a chain of steps, in words of its own
 * frame, e.g. "Build: x, add 3, times y\nf=" whose programs include (x+3)*y, y*(x+3)
 * and x*y+3*y.
 */
import { type Rng, intIn, pick } from "../../random/index.js";
import { bin, num, printProgram, variable, type Expr } from "./ast.js";
import { isConstant } from "./run.js";

export type Operand = "x" | "y" | number;
export type StepOp = "add" | "sub" | "times";

export interface Step {
  op: StepOp;
  arg: Operand;
}

export interface Spec {
  start: Operand;
  steps: Step[];
}

export const STEP_OPS: readonly StepOp[] = ["add", "sub", "times"];

/** Constants a step may use: add/sub 1..9, times 2..9 (0 and 1 would be no-ops). */
export function constantsFor(op: StepOp | "start"): number[] {
  const lo = op === "times" ? 2 : 1;
  return Array.from({ length: 10 - lo }, (_, i) => lo + i);
}

export function operandsFor(op: StepOp | "start"): Operand[] {
  return ["x", "y", ...constantsFor(op)];
}

export function renderSpec(spec: Spec): string {
  const steps = spec.steps.map((s) => `, ${s.op} ${s.arg}`).join("");
  return `Build: ${spec.start}${steps}\nf=`;
}

export function parseSpecPrompt(prompt: string): Spec | null {
  const m = /^Build: ([xy]|\d)((?:, (?:add|sub|times) (?:[xy]|\d))*)\nf=$/.exec(prompt);
  if (!m) return null;
  const operand = (s: string): Operand => (s === "x" || s === "y" ? s : Number(s));
  const steps = m[2]
    .split(", ")
    .slice(1)
    .map((part): Step => {
      const [op, arg] = part.split(" ");
      return { op: op as StepOp, arg: operand(arg) };
    });
  return { start: operand(m[1]), steps };
}

function operandExpr(o: Operand): Expr {
  return typeof o === "number" ? num(o) : variable(o);
}

/** The program the spec describes, folded left: ((start op1 a1) op2 a2) … */
export function specToExpr(spec: Spec): Expr {
  let e = operandExpr(spec.start);
  for (const s of spec.steps) e = bin(s.op === "add" ? "+" : s.op === "sub" ? "-" : "*", e, operandExpr(s.arg));
  return e;
}

export function canonicalProgram(spec: Spec): string {
  return printProgram(specToExpr(spec));
}

function randomOperand(rng: Rng, op: StepOp | "start", varShare: number): Operand {
  return rng.next() < varShare ? pick(rng, ["x", "y"] as const) : pick(rng, constantsFor(op));
}

/** A spec whose program depends on x or y (a constant program is no exercise). */
export function randomSpec(rng: Rng, steps: [number, number]): Spec {
  for (;;) {
    const n = intIn(rng, steps[0], steps[1]);
    const spec: Spec = {
      start: randomOperand(rng, "start", 0.8),
      steps: Array.from({ length: n }, () => {
        const op = pick(rng, STEP_OPS);
        return { op, arg: randomOperand(rng, op, 0.4) };
      }),
    };
    if (!isConstant(specToExpr(spec))) return spec;
  }
}

export interface SpecChange {
  spec: Spec;
  change: string;
}

/** Every spec that differs from `spec` in one element: the start, one step's operator or one step's operand. */
export function oneElementChanges(spec: Spec): SpecChange[] {
  const out: SpecChange[] = [];
  for (const o of operandsFor("start")) {
    if (o !== spec.start) out.push({ spec: { start: o, steps: spec.steps }, change: `start ${spec.start}->${o}` });
  }
  spec.steps.forEach((s, k) => {
    const withStep = (step: Step): Spec => ({ start: spec.start, steps: spec.steps.map((t, j) => (j === k ? step : t)) });
    for (const op of STEP_OPS) {
      if (op !== s.op && operandsFor(op).includes(s.arg)) out.push({ spec: withStep({ op, arg: s.arg }), change: `step ${k + 1} ${s.op}->${op}` });
    }
    for (const arg of operandsFor(s.op)) {
      if (arg !== s.arg) out.push({ spec: withStep({ op: s.op, arg }), change: `step ${k + 1} arg ${s.arg}->${arg}` });
    }
  });
  return out;
}
