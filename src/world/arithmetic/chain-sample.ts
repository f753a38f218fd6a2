/**
 * The arithmetic behind a word problem: a start value and 1..n operations, each result
 * in [0, resultMax] (docs/ZOO.md, lab rule 1). Zero operands are left out (adding, taking away or
 * multiplying by 0, or multiplying by 1, makes a vacuous step), so the operand ranges are
 * start 1..max, + and − 1..max, × 2..max.
 */
import type { Rng } from "../../random/index.js";
import { type Op, type Step, applyOp } from "./steps.js";

export interface Limits {
  minSteps: number;
  maxSteps: number;
  operandMax: number;
  resultMax: number;
}

export interface Chain {
  start: number;
  ops: { op: Op; b: number }[];
}

/** The operands `op` may take at running value `r` (empty when `op` is infeasible). */
export function operandRange(op: Op, r: number, limits: Limits): [number, number] | null {
  const { operandMax, resultMax } = limits;
  let lo: number, hi: number;
  switch (op) {
    case "+":
      [lo, hi] = [1, Math.min(operandMax, resultMax - r)];
      break;
    case "-":
      [lo, hi] = [1, Math.min(operandMax, r)];
      break;
    case "*":
      [lo, hi] = [2, r === 0 ? 1 : Math.min(operandMax, Math.floor(resultMax / r))];
      break;
  }
  return lo <= hi ? [lo, hi] : null;
}

export function stepsOf(chain: Chain): Step[] {
  const steps: Step[] = [];
  let r = chain.start;
  for (const { op, b } of chain.ops) {
    const result = applyOp(r, op, b);
    steps.push({ a: r, op, b, result });
    r = result;
  }
  return steps;
}

export function answerOf(chain: Chain): number {
  const s = stepsOf(chain);
  return s[s.length - 1].result;
}

/** Does every operand lie in its range and every result in [0, resultMax]? */
export function isValidChain(chain: Chain, limits: Limits): boolean {
  const n = chain.ops.length;
  if (n < limits.minSteps || n > limits.maxSteps) return false;
  if (!Number.isInteger(chain.start) || chain.start < 1 || chain.start > limits.operandMax) return false;
  let r = chain.start;
  for (const { op, b } of chain.ops) {
    const range = operandRange(op, r, limits);
    if (!range || !Number.isInteger(b) || b < range[0] || b > range[1]) return false;
    r = applyOp(r, op, b);
  }
  return true;
}

function uniform(rng: Rng, [lo, hi]: [number, number]): number {
  return lo + rng.int(hi - lo + 1);
}

/** A chain with a uniform number of steps, each op uniform among the feasible ones. */
export function sampleChain(rng: Rng, limits: Limits): Chain {
  const n = limits.minSteps + rng.int(limits.maxSteps - limits.minSteps + 1);
  const start = uniform(rng, [1, limits.operandMax]);
  const ops: Chain["ops"] = [];
  let r = start;
  for (let i = 0; i < n; i++) {
    const feasible = (["+", "-", "*"] as const).filter((op) => operandRange(op, r, limits) !== null);
    // NOTE: with operandMax ≤ resultMax some op is always feasible (+ when r < resultMax, − when r > 0).
    const op = feasible[rng.int(feasible.length)];
    const b = uniform(rng, operandRange(op, r, limits)!);
    ops.push({ op, b });
    r = applyOp(r, op, b);
  }
  return { start, ops };
}

export interface Mutation {
  chain: Chain;
  /** "start: 3 -> 5", "operand 2: 4 -> 7" or "op 1: + -> *" (1-based step numbers). */
  change: string;
}

/**
 * One element changed (N-1, docs/PROBES.md §3): the start value, one operand, or one operation
 * (keeping its operand). The result must still be a valid chain under `limits`; null
 * when the drawn change is not (the caller draws again).
 */
export function mutateChain(rng: Rng, chain: Chain, limits: Limits): Mutation | null {
  const slot = rng.int(1 + 2 * chain.ops.length);
  const ops = chain.ops.map((o) => ({ ...o }));
  let next: Chain;
  let change: string;
  if (slot === 0) {
    const start = 1 + rng.int(limits.operandMax);
    if (start === chain.start) return null;
    next = { start, ops };
    change = `start: ${chain.start} -> ${start}`;
  } else {
    const k = Math.floor((slot - 1) / 2);
    const old = ops[k];
    if (slot % 2 === 1) {
      const b = 1 + rng.int(limits.operandMax);
      if (b === old.b) return null;
      change = `operand ${k + 1}: ${old.b} -> ${b}`;
      ops[k] = { op: old.op, b };
    } else {
      const others = (["+", "-", "*"] as const).filter((o) => o !== old.op);
      const op = others[rng.int(others.length)];
      change = `op ${k + 1}: ${old.op} -> ${op}`;
      ops[k] = { op, b: old.b };
    }
    next = { start: chain.start, ops };
  }
  return isValidChain(next, limits) ? { chain: next, change } : null;
}
