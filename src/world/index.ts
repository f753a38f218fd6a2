/**
 * The synthetic world: seeded task generators with exact verifiers and id / N-1 / ood
 * splits (contract in task.ts). One file per task family, listed in one registry.
 */
import { arithmeticTask } from "./arithmetic/index.js";
import { knowledgeTask } from "./knowledge/index.js";
import { programsTask } from "./programs/index.js";
import { storiesTask } from "./stories/index.js";
import { structuredTask } from "./structured/index.js";
import type { Task } from "./task.js";

export type { Task, WorldItem, Split, Verdict } from "./task.js";
export { worldSettingsSchema, DEFAULT_WORLD, taskSettings, type WorldSettings } from "./settings.js";
export {
  arithmeticTask, SOLUTION_FORMATS, SOLUTION_CLASSES, solutionFormatOf, solutionClassOf,
  type ArithmeticItem, type SolutionFormat, type SolutionClass,
} from "./arithmetic/index.js";
export { knowledgeTask } from "./knowledge/index.js";
export { VERIFICATION_QUESTION, YES, NO, verificationPrompt } from "./verification.js";
export * as knowledge from "./knowledge/index.js";
export * as arithmetic from "./arithmetic/index.js";
export * as structured from "./structured/index.js";
export * as programs from "./programs/index.js";
export * as stories from "./stories/index.js";

export const tasks = {
  knowledge: knowledgeTask,
  arithmetic: arithmeticTask,
  structured: structuredTask,
  programs: programsTask,
  stories: storiesTask,
} satisfies Record<string, Task<unknown, unknown>>;

export type TaskName = keyof typeof tasks;
