/** The structured (knapsack-as-JSON) task. */
export { structuredTask } from "./task.js";
export { STRUCTURED_DEFAULTS, isInteresting, oneElementChanges, type StructuredConfig } from "./generate.js";
export {
  ITEM_NAMES, parseKnapsackPrompt, renderAnswer, renderKnapsack, solveKnapsack, totals,
  type Knapsack, type KnapsackAnswer, type KnapsackItem, type KnapsackSolution,
} from "./knapsack.js";
export { checkKnapsack, feasible, optimal, optimalityGap, parse, schemaValid, type KnapsackCheck, type KnapsackLayer, type ParseResult } from "./verifier.js";
