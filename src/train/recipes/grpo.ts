/**
 * Recipe `grpo`: reinforcement learning with the world's verifier as the reward
 * (issue 4, Recipes: grpo; Shao et al. 2024 "DeepSeekMath" §4.1.2; the Echo Chamber
 * setup of Zhao et al. 2025). Each rollout samples k completions for each of `batchSize` prompts
 * from the current policy, rewards each 1 (verified correct) or 0, normalises rewards
 * within each prompt's group, and takes `iterations` clipped-ratio updates on that rollout
 * with a KL penalty to the reference model (the base). Logged per update: reward, KL,
 * clip fraction, and the share of each solution format among the samples — a base
 * pre-trained on a mixture of formats lets RL choose among them.
 *
 * Prompts come from the task's in-distribution items [offset, offset + count); items below
 * `offset` stay unseen, for evaluation.
 */
import { z } from "zod";
import { createRng, sha256Of } from "../../random/index.js";
import { Llama, type Tokenizer } from "../../model/index.js";
import type { Kernels } from "../../tensor/index.js";
import { formatFormatError, loadCheckpoint, resolveCheckpointDir } from "../../formats/index.js";
import { SOLUTION_CLASSES, arithmeticTask, knowledgeTask, solutionClassOf, worldSettingsSchema, type Task, type WorldItem } from "../../world/index.js";
import { stepSeed } from "../batches.js";
import { groupAdvantages, grpoToken } from "../grpo.js";
import type { Objective, StepMetrics } from "../objective.js";
import { framePrompt } from "../data/frame.js";
import { verifierRows } from "../data/trl-rows.js";
import { batchRows, rollout, type Rollout } from "../rollout.js";
import { itemRangeSchema, trainSchema } from "./config.js";
import { adapterOf, adapterSchema } from "./adapter.js";
import { fineTuneOf, fineTuneTokenizer } from "./fine-tune.js";
import type { Recipe, RecipeFactory } from "./recipe.js";

export const GRPO_TASKS = ["arithmetic", "knowledge"] as const;

/** Solution formats counted per update (arithmetic; other tasks count "answer-only" / "unknown"). */

export const grpoSchema = z
  .strictObject({
    /** No default: the policy starts from, and is kept near (KL), this checkpoint. */
    base: z
      .string({ error: (iss) => (iss.input === undefined ? "required: the checkpoint folder (or run folder) to start the policy from" : "must be a path (a string)") })
      .min(1, { error: "must be a non-empty path to a checkpoint or run folder" }),
    /** "arithmetic": the task with solution formats to choose among. */
    task: z.enum(GRPO_TASKS).default("arithmetic"),
    /** "raw": the pre-training frame, so a base model samples its pre-training mix of formats; "chat" after an SFT. */
    frame: z.enum(["raw", "chat"]).default("raw"),
    /** The base's tokenizer is used; naming another is refused (fine-tune.ts). */
    tokenizer: fineTuneTokenizer,
    /** The base's world (its seed decides the encyclopedia): keep it equal to the base's pretrain config. */
    world: worldSettingsSchema.prefault({}),
    /**
     * count 2000: prompts to draw rollouts from.
     * offset 1000: id items 0..999 stay unseen, for evaluation (as in sft).
     */
    prompts: itemRangeSchema({ count: 2000, offset: 1000 }),
    /** 8 samples per prompt: the group size G (issue 4: k ≥ 8, so groups have mixed outcomes). */
    k: z.number().int().min(2).default(8),
    sampling: z
      .strictObject({
        /** 1: sample the policy's own distribution (on-policy). */
        temperature: z.number().positive().default(1),
        /** 96: room for three steps in the natural format and the Answer line. */
        maxTokens: z.number().int().positive().default(96),
      })
      .prefault({}),
    /** 0.2: PPO's clip range ε (Schulman et al. 2017), also DeepSeekMath's. */
    clipEps: z.number().positive().max(1).default(0.2),
    /** 0.04: DeepSeekMath's KL coefficient β. */
    beta: z.number().min(0).default(0.04),
    /** 16 rows per forward/backward, gradients accumulated: bounds activation memory (64 rows × T 256 would need ~1 GB per model). */
    microBatch: z.number().int().positive().default(16),
    /** 2 updates per rollout (μ): the second is off-policy, where the clipped ratio matters. */
    iterations: z.number().int().positive().default(2),
    /** Absent: train every weight. A LoRA adapter trains only the adapter on the frozen base (adapter.ts). */
    adapter: adapterSchema.optional(),
    /**
     * 60 updates = 30 rollouts of 8 prompts × 8 samples: a demo-sized run. lr 5e-5 → 5e-6:
     * Adam's first steps move every weight by about lr, and at 3e-4 a ~1M-parameter zoo
     * model drifted to KL 0.17 nats/token from its reference within four updates.
     */
    train: trainSchema({ steps: 60, batchSize: 8, maxLr: 5e-5, minLr: 5e-6, warmupSteps: 0 }).prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.train.steps % c.iterations !== 0) {
      ctx.addIssue({ code: "custom", path: ["train", "steps"], message: `must be a multiple of iterations (${c.iterations}): each rollout takes that many updates` });
    }
  });

export type GrpoConfig = z.infer<typeof grpoSchema>;

function taskOf(name: GrpoConfig["task"]): Task {
  return (name === "arithmetic" ? arithmeticTask : knowledgeTask) as Task;
}

function poolItems(c: GrpoConfig): WorldItem[] {
  const world = c.world;
  const n = c.prompts.offset + c.prompts.count;
  const config = c.task === "arithmetic" ? world.arithmetic : world.knowledge;
  return taskOf(c.task).items({ config, seed: world.seed, split: "id", n }).slice(c.prompts.offset);
}

/** Share of each format class among the rollout's completions. */
export function solutionClassShares(texts: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(SOLUTION_CLASSES.map((f) => [f, 0]));
  for (const t of texts) counts[solutionClassOf(t)]++;
  for (const f of SOLUTION_CLASSES) counts[f] /= Math.max(1, texts.length);
  return counts;
}

/** Calls f(start, count) for consecutive row ranges of at most `size` rows. */
function forEachMicroBatch(rows: number, size: number, f: (start: number, count: number) => void): void {
  for (let start = 0; start < rows; start += size) f(start, Math.min(size, rows - start));
}

interface RolloutState {
  index: number;
  r: Rollout;
  advantages: Float64Array;
  oldLogp: Float32Array;
  refLogp: Float32Array;
  metrics: StepMetrics;
}

/** The GRPO objective: a rollout every `iterations` updates, clipped-ratio + KL weights per token. */
export function grpoObjective(a: {
  config: GrpoConfig; tokenizer: Tokenizer; reference: Llama<Float32Array>; task: Task; items: WorldItem[]; seed: number;
}): Objective {
  const c = a.config;
  const task = a.task;
  let current: RolloutState | null = null;

  function newRollout(policy: Llama<Float32Array>, index: number): RolloutState {
    const rng = createRng(stepSeed(a.seed, 0x72_6f_6c_6c + index));
    const items = Array.from({ length: c.train.batchSize }, () => a.items[rng.int(a.items.length)]);
    const r = rollout(policy, a.tokenizer, task, items, {
      k: c.k, temperature: c.sampling.temperature, maxTokens: c.sampling.maxTokens, seed: stepSeed(a.seed, index), frame: c.frame,
    });
    const refLogp = new Float32Array(r.batch.B * r.batch.T);
    forEachMicroBatch(r.batch.B, c.microBatch, (start, count) => {
      a.reference.forward(batchRows(r.batch, start, count));
      refLogp.set(a.reference.lastLogprobs().subarray(0, count * r.batch.T), start * r.batch.T);
    });
    const advantages = groupAdvantages(r.rewards, c.k);
    let mixed = 0;
    for (let g = 0; g < r.rewards.length; g += c.k) if (advantages.subarray(g, g + c.k).some((x) => x !== 0)) mixed++;
    const completionTokens = r.spans.reduce((s, sp) => s + sp.end - sp.start, 0);
    const metrics: StepMetrics = {
      rollout: index,
      reward: r.rewards.reduce((s, x) => s + x, 0) / r.rewards.length,
      mixedGroups: mixed / (r.rewards.length / c.k),
      completionTokens: completionTokens / r.rewards.length,
      truncated: r.truncated / r.rewards.length,
      formats: solutionClassShares(r.texts),
    };
    return { index, r, advantages, oldLogp: new Float32Array(0), refLogp, metrics };
  }

  return {
    stepMultiple: c.iterations,
    gradients(policy, step) {
      const index = Math.floor(step / c.iterations);
      const first = step % c.iterations === 0;
      if (first) current = newRollout(policy, index);
      else if (!current || current.index !== index) {
        throw new Error(`grpo: update ${step + 1} continues rollout ${index}, which this process did not sample; resume from a checkpoint on a multiple of ${c.iterations}`);
      }
      const st = current!;
      const { batch, spans } = st.r;
      const T = batch.T;
      if (first) st.oldLogp = new Float32Array(batch.B * T);
      let loss = 0, kl = 0, clipped = 0, tokens = 0;
      // micro-batches of rows, gradients accumulated: the objective is the mean over all rows
      forEachMicroBatch(batch.B, c.microBatch, (start, count) => {
        policy.forward(batchRows(batch, start, count));
        const logp = policy.lastLogprobs();
        // the policy that sampled is the one being updated at a rollout's first update
        if (first) st.oldLogp.set(logp.subarray(0, count * T), start * T);
        const weights = new Float32Array(count * T);
        for (let row = start; row < start + count; row++) {
          const sp = spans[row];
          const len = sp.end - sp.start;
          if (len === 0) continue;
          let rowLoss = 0;
          for (let n = sp.start; n < sp.end; n++) {
            const local = n - start * T;
            const t = grpoToken({ logp: logp[local], oldLogp: st.oldLogp[n], refLogp: st.refLogp[n], advantage: st.advantages[row] }, c.clipEps, c.beta);
            weights[local] = t.weight / len; // the 1/|oᵢ| of the per-output mean
            rowLoss += t.loss;
            kl += t.kl;
            if (t.clipped) clipped++;
          }
          loss += rowLoss / len;
          tokens += len;
        }
        policy.reweight(weights, spans.length);
        if (weights.some((w) => w !== 0)) policy.backward();
      });
      return {
        loss: loss / spans.length,
        tokens,
        metrics: { ...st.metrics, kl: tokens ? kl / tokens : 0, clipFraction: tokens ? clipped / tokens : 0 },
      };
    },
  };
}

export const grpo = {
  name: "grpo",
  description: "reinforcement learning with the world's verifier as reward (group-normalised advantages, clipped ratio, KL to the base)",
  reference: "issue 4 (Recipes: grpo); Shao et al. 2024 (DeepSeekMath) §4.1.2",
  rows: '{"prompt", "verifier", "answer", "id"}',
  schema: grpoSchema,
  create(c: GrpoConfig): Recipe {
    let reference: Llama<Float32Array> | null = null;
    let referenceSha = "";
    return {
      name: "grpo",
      description: grpo.description,
      config: c,
      defaults: c.train,
      ...fineTuneOf("grpo", c.base, undefined, c.tokenizer),
      ...adapterOf(c.adapter),
      async prepare({ kernels }: { kernels: Kernels }) {
        const dir = await resolveCheckpointDir(c.base);
        const ck = await loadCheckpoint(dir);
        if (!ck.ok) return `grpo reference ${c.base}: ${formatFormatError(ck.error)}`;
        reference = Llama.f32(ck.value.config, kernels);
        reference.params.flat.set(ck.value.params);
        referenceSha = sha256Of(ck.value.params);
        return null;
      },
      data({ tokenizer, config, seed }) {
        if (!reference) throw new Error("grpo: runLab must await prepare() before data()");
        // a prompt must leave room for a whole completion in the context
        const pool = poolItems(c);
        const items = pool.filter((it) => framePrompt(tokenizer, c.frame, it.prompt).length + c.sampling.maxTokens <= config.contextLength);
        const objective = grpoObjective({ config: c, tokenizer, reference, task: taskOf(c.task), items, seed: seed + 2 });
        const info = { prompts: items.length, dropped: pool.length - items.length, reference: referenceSha };
        if (items.length === 0) {
          return {
            ...objective, info,
            problem: `grpo: no ${c.task} prompt leaves room for sampling.maxTokens = ${c.sampling.maxTokens} in the context of ${config.contextLength}; lower sampling.maxTokens`,
          };
        }
        return { ...objective, info };
      },
      async *rows({ tokenizer, config }) {
        // the prompt pool data() draws rollouts from (the same filter)
        yield* verifierRows(poolItems(c).filter((it) => framePrompt(tokenizer, c.frame, it.prompt).length + c.sampling.maxTokens <= config.contextLength), c.frame, c.task);
      },
    };
  },
} satisfies RecipeFactory<typeof grpoSchema>;
