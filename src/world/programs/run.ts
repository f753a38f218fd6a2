/**
 * The interpreter, and equivalence by execution. Arithmetic is in BigInt, so results
 * are exact however large they grow.
 *
 * NOTE: why execution decides equivalence exactly here: every program is a polynomial
 * in x and y. If two programs have degree ≤ D in each variable, their difference is a
 * polynomial of degree ≤ D in each variable, and one that vanishes on the grid
 * {0..D} × {0..D} is identically zero (the polynomial identity lemma, applied one
 * variable at a time). So `equivalent` runs both on that grid.
 */
import { degreeBound, type Expr } from "./ast.js";

export interface Inputs {
  x: number;
  y: number;
}

export function run(e: Expr, env: Inputs): bigint {
  switch (e.kind) {
    case "num":
      return BigInt(e.value);
    case "var":
      return BigInt(env[e.name]);
    case "bin": {
      const l = run(e.left, env);
      const r = run(e.right, env);
      return e.op === "+" ? l + r : e.op === "-" ? l - r : l * r;
    }
  }
}

/** The first input where `a` and `b` disagree, or null if they agree on all of them. */
export function firstDifference(a: Expr, b: Expr, inputs: readonly Inputs[]): Inputs | null {
  for (const env of inputs) if (run(a, env) !== run(b, env)) return env;
  return null;
}

export function equivalentOn(a: Expr, b: Expr, inputs: readonly Inputs[]): boolean {
  return firstDifference(a, b, inputs) === null;
}

/** The grid {0..d} × {0..d}. */
export function gridInputs(d: number): Inputs[] {
  const out: Inputs[] = [];
  for (let x = 0; x <= d; x++) for (let y = 0; y <= d; y++) out.push({ x, y });
  return out;
}

/** Inputs on which agreement proves equivalence of `a` and `b` (see the note above). */
export function decidingInputs(a: Expr, b: Expr): Inputs[] {
  return gridInputs(Math.max(degreeBound(a), degreeBound(b), 1));
}

/** Exact semantic equivalence, decided by running both programs. */
export function equivalent(a: Expr, b: Expr): boolean {
  return equivalentOn(a, b, decidingInputs(a, b));
}

/** Does `e` compute a constant? (Exact, by the same argument.) */
export function isConstant(e: Expr): boolean {
  const inputs = gridInputs(Math.max(degreeBound(e), 1));
  const v0 = run(e, inputs[0]);
  return inputs.every((env) => run(e, env) === v0);
}
