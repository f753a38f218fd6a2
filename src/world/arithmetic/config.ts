/**
 * Difficulty knobs of the arithmetic world. The defaults follow lab rule 1 (docs/ZOO.md): the base
 * task is easy (1–3 operations, operands 0–19, results ≤ 99); harder settings serve as
 * the out-of-distribution split.
 */
import { z } from "zod";

const formatMix = z
  .object({ natural: z.number().min(0), code: z.number().min(0), terse: z.number().min(0) })
  .refine((m) => Math.abs(m.natural + m.code + m.terse - 1) < 1e-9, { message: "formatMix must sum to 1" });

export const arithmeticConfigSchema = z
  .object({
    /** Fewest operations per problem (docs/ZOO.md, lab rule 1: 1). */
    minSteps: z.number().int().min(1).default(1),
    /** Most operations per problem (docs/ZOO.md, lab rule 1: 3). */
    maxSteps: z.number().int().min(1).max(8).default(3),
    /** Largest operand (docs/ZOO.md, lab rule 1: 19). */
    operandMax: z.number().int().min(2).max(99).default(19),
    /** Largest value any step may reach (docs/ZOO.md, lab rule 1: 99; keeps numbers to two digits). */
    resultMax: z.number().int().min(2).max(9999).default(99),
    /** Share of each solution format in documents and items (the lab's feasibility study, docs/ZOO.md: 50/30/20). */
    formatMix: formatMix.default({ natural: 0.5, code: 0.3, terse: 0.2 }),
    /** The harder setting of the ood split: half the items take `steps` ops, half operands up to `operandMax`. */
    ood: z
      .object({ steps: z.number().int().min(1).max(8), operandMax: z.number().int().min(2).max(99) })
      .default({ steps: 4, operandMax: 49 }),
  })
  .superRefine((c, ctx) => {
    if (c.minSteps > c.maxSteps) ctx.addIssue({ code: "custom", path: ["minSteps"], message: "minSteps must be ≤ maxSteps" });
    if (c.operandMax > c.resultMax) {
      ctx.addIssue({ code: "custom", path: ["operandMax"], message: "operandMax must be ≤ resultMax" });
    }
    if (c.ood.operandMax > c.resultMax) {
      ctx.addIssue({ code: "custom", path: ["ood", "operandMax"], message: "ood.operandMax must be ≤ resultMax" });
    }
  });

export type ArithmeticConfig = z.infer<typeof arithmeticConfigSchema>;

export const ARITHMETIC_DEFAULTS: ArithmeticConfig = arithmeticConfigSchema.parse({});

export type ConfigResult = { ok: true; value: ArithmeticConfig } | { ok: false; error: { code: "bad_config"; field: string; message: string } };

/** Validate a user config (missing fields take the defaults); the error names the field. */
export function parseArithmeticConfig(input: unknown): ConfigResult {
  const r = arithmeticConfigSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return { ok: false, error: { code: "bad_config", field: issue.path.join(".") || "(root)", message: issue.message } };
}
