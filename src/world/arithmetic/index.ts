/** The arithmetic world: word problems, their three solution formats, and exact chain edits. */
export { arithmeticTask, arithmeticPrompt, verifyArithmetic, type ArithmeticItem, type ArithmeticMeta } from "./task.js";
export { ARITHMETIC_DEFAULTS, arithmeticConfigSchema, parseArithmeticConfig, type ArithmeticConfig } from "./config.js";
export {
  SOLUTION_FORMATS, SOLUTION_CLASSES, solutionFormatOf, solutionClassOf, parseSteps, parseStepLine, renderSolution, renderStep,
  type SolutionClass, type ParseError, type ParseResult, type ParsedSolution, type SolutionFormat,
} from "./solution-formats.js";
export { corruptStep, paraphraseSolution, truncateSolution } from "./chain.js";
export { applyOp, checkChain, checkStep, OPS, type Op, type Step } from "./steps.js";
export { answerOf, isValidChain, mutateChain, sampleChain, stepsOf, type Chain, type Limits } from "./chain-sample.js";
