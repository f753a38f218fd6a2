/**
 * Equivalent programs for one spec, written differently (commuted operands,
 * distributed products, doubling as addition), so that pre-training documents show
 * several right answers and sampled outputs have room for syntactic diversity.
 */
import type { Rng } from "../../random/index.js";
import { bin, printProgram, type Expr } from "./ast.js";
import { equivalent } from "./run.js";

function rewrite(rng: Rng, e: Expr): Expr {
  if (e.kind !== "bin") return e;
  let left = rewrite(rng, e.left);
  let right = rewrite(rng, e.right);
  if (e.op === "*") {
    // a*2 → a+a for a leaf a.
    if (right.kind === "num" && right.value === 2 && left.kind !== "bin" && rng.next() < 0.3) return bin("+", left, left);
    // (a ± b) * c → a*c ± b*c, and c * (a ± b) likewise.
    if (left.kind === "bin" && left.op !== "*" && rng.next() < 0.35) {
      return bin(left.op, rewrite(rng, bin("*", left.left, right)), rewrite(rng, bin("*", left.right, right)));
    }
    if (right.kind === "bin" && right.op !== "*" && rng.next() < 0.35) {
      return bin(right.op, rewrite(rng, bin("*", left, right.left)), rewrite(rng, bin("*", left, right.right)));
    }
  }
  if (e.op !== "-" && rng.next() < 0.5) [left, right] = [right, left];
  return bin(e.op, left, right);
}

/**
 * Up to `max` distinct programs equivalent to `e`, the canonical print first, each at
 * most `maxChars` long. Every one is checked equivalent (exactly) before it is kept.
 */
export function equivalentPrograms(rng: Rng, e: Expr, max: number, maxChars: number): string[] {
  const out = [printProgram(e)];
  for (let attempt = 0; attempt < 4 * max && out.length < max; attempt++) {
    const v = rewrite(rng, e);
    const text = printProgram(v);
    if (text.length <= maxChars && !out.includes(text) && equivalent(v, e)) out.push(text);
  }
  return out;
}
