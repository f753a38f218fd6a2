/**
 * The world's settings: its seed and the knobs of the tasks that carry them. One schema
 * for every place that names a world — a recipe's `world` config (recorded in run.json),
 * the audit's built-in suites, and a `--world` settings file.
 */
import { z } from "zod";
import { arithmeticConfigSchema } from "./arithmetic/index.js";
import { knowledgeConfigSchema } from "./knowledge/index.js";

export const worldSettingsSchema = z.strictObject({
  /**
   * 1: the world's identity, and the seed the zoo was pre-trained with. The knowledge
   * encyclopedia is a function of this seed, so a fine-tune and its evaluation must use
   * the base's world seed (a lab run's --seed only orders batches and initialises weights).
   */
  seed: z.number().int().min(0).default(1),
  /** The task knobs (knowledge/config.ts), each with its own default. */
  knowledge: knowledgeConfigSchema.prefault({}),
  /** The task knobs (arithmetic/config.ts), including formatMix. */
  arithmetic: arithmeticConfigSchema.prefault({}),
});

export type WorldSettings = z.infer<typeof worldSettingsSchema>;

/** The zoo's world: seed 1, every knob at its default. */
export const DEFAULT_WORLD: WorldSettings = worldSettingsSchema.parse({});

/** The config `task` takes in `world`: its own knobs for arithmetic and knowledge, the task's defaults otherwise. */
export function taskSettings(world: WorldSettings, task: string, defaults: unknown): unknown {
  if (task === "arithmetic") return world.arithmetic;
  if (task === "knowledge") return world.knowledge;
  return defaults;
}
