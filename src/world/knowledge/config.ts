/** Knobs of the encyclopedia (docs/ZOO.md, lab rule 3: 50–150 entities, each fact seen 300+ times). */
import { z } from "zod";

export const knowledgeConfigSchema = z.object({
  /** Number of entities (docs/ZOO.md, lab rule 3: 50–150; the feasibility study's 500 left small models at chance). */
  entities: z.number().int().min(2).max(2000).default(100),
  /** Facts per encyclopedia document, 1..5 (5 = all of one entity's attributes, ~180 characters). */
  factsPerDocument: z.number().int().min(1).max(5).default(5),
  /** Share of documents that are one question in the task's own frame with its answer, so generation in that frame is learnt. */
  qaShare: z.number().min(0).max(1).default(0.2),
});

export type KnowledgeConfig = z.infer<typeof knowledgeConfigSchema>;

export const KNOWLEDGE_DEFAULTS: KnowledgeConfig = knowledgeConfigSchema.parse({});

export type KnowledgeConfigResult =
  | { ok: true; value: KnowledgeConfig }
  | { ok: false; error: { code: "bad_config"; field: string; message: string } };

/** Validate a user config (missing fields take the defaults); the error names the field. */
export function parseKnowledgeConfig(input: unknown): KnowledgeConfigResult {
  const r = knowledgeConfigSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: { code: "bad_config", field: issue.path.join(".") || "(root)", message: issue.message } };
}
