/** The programs task: a tiny expression language, its interpreter, and execution-based equivalence. */
export { programsTask, PROGRAMS_DEFAULTS, type ProgramsConfig } from "./task.js";
export { degreeBound, parseProgram, printProgram, shapeOf, type Expr, type Op, type ParseProgramResult, type Var } from "./ast.js";
export { decidingInputs, equivalent, equivalentOn, firstDifference, gridInputs, isConstant, run, type Inputs } from "./run.js";
export { canonicalProgram, oneElementChanges, parseSpecPrompt, renderSpec, specToExpr, type Operand, type Spec, type Step, type StepOp } from "./spec.js";
export { equivalentPrograms } from "./variants.js";
