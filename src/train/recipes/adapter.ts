/**
 * The optional `"adapter"` field of the fine-tuning recipes (sft, imitation, grpo, dpo):
 * train a LoRA adapter on the frozen base instead of the base's weights (Hu et al. 2021,
 * "LoRA: Low-Rank Adaptation of Large Language Models", arXiv 2106.09685, eq. 3:
 * W x + (alpha / r) · B A x, A Kaiming-uniform and B = 0 at the start, as PEFT does).
 *
 *   "adapter": { "type": "lora", "r": 8, "alpha": 16, "dropout": 0, "targetModules": ["q_proj", "v_proj"] }
 *
 * NOTE: an adapter usually wants a larger learning rate than a full fine-tune of the same
 * model (the recipes' `train.maxLr` defaults are full fine-tuning's); set it in `train`.
 */
import { z } from "zod";
import { LORA_MODULES, type LoraConfig } from "../../model/index.js";

export const adapterSchema = z.strictObject({
  /** No default: the one adapter type (the field names it so that others can follow). */
  type: z.literal("lora", { error: () => `must be "lora" (the one adapter type)` }),
  /** 8: Hu et al.'s GPT-3 runs found r = 4–8 on W_q, W_v as good as far larger ranks (§7.2). */
  r: z.number().int().positive().default(8),
  /** 16: alpha = 2r (scale s = 2), PEFT's and QLoRA's common setting. */
  alpha: z.number().positive().default(16),
  /** 0: the lab's models underfit rather than overfit a few hundred steps; runs stay a pure function of the seed without it. */
  dropout: z.number().min(0).lt(1, { error: "must be below 1 (the share of the adapter's inputs dropped)" }).default(0),
  /** q_proj, v_proj: Hu et al. §7.1 — with a fixed budget, adapting W_q and W_v together did best. */
  targetModules: z
    .array(z.enum(LORA_MODULES))
    .min(1, { error: `needs at least one module (of ${LORA_MODULES.join(", ")})` })
    .superRefine((ms, ctx) => {
      const twice = ms.find((m, i) => ms.indexOf(m) !== i);
      if (twice) ctx.addIssue({ code: "custom", message: `lists "${twice}" twice; name each module once` });
    })
    .default(["q_proj", "v_proj"]),
});

export type AdapterConfig = z.infer<typeof adapterSchema>;

/** The engine's LoRA config of a recipe's adapter field, modules in LORA_MODULES order. */
export function loraConfigOf(a: AdapterConfig): LoraConfig {
  return { r: a.r, alpha: a.alpha, dropout: a.dropout, targetModules: LORA_MODULES.filter((m) => a.targetModules.includes(m)) };
}

/** What a recipe declares for its optional adapter field. */
export function adapterOf(a: AdapterConfig | undefined): { adapter?: LoraConfig } {
  return a ? { adapter: loraConfigOf(a) } : {};
}
