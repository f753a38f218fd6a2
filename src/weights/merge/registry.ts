/**
 * Every merge method, in one explicit registry (docs/CONTRIBUTING.md §6): one file per method,
 * listed here and nowhere else. Names are mergekit's `merge_method` values.
 */
import { cpi } from "./cpi.js";
import { dareLinear, dareTies } from "./dare.js";
import { linear } from "./linear.js";
import type { MergeMethod } from "./method.js";
import { slerp } from "./slerp.js";
import { taskArithmetic } from "./task-arithmetic.js";
import { ties } from "./ties.js";

export const MERGE_METHODS = {
  linear,
  task_arithmetic: taskArithmetic,
  ties,
  dare_linear: dareLinear,
  dare_ties: dareTies,
  slerp,
  cpi,
} satisfies Record<string, MergeMethod>;

export type MergeMethodName = keyof typeof MERGE_METHODS;
export const MERGE_METHOD_NAMES = Object.keys(MERGE_METHODS) as MergeMethodName[];

/** The method called `name`; an unknown name is an error that lists the valid ones. */
export function mergeMethod(name: string): { ok: true; value: MergeMethod } | { ok: false; error: string } {
  if (!Object.hasOwn(MERGE_METHODS, name)) {
    return { ok: false, error: `no merge method "${name}"; the merge methods are: ${MERGE_METHOD_NAMES.join(", ")}` };
  }
  return { ok: true, value: MERGE_METHODS[name as MergeMethodName] };
}
