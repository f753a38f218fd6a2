/**
 * The training loop (pre-training and fine-tuning share it):
 *   1. zero gradients, forward, backward on the next batch
 *   2. stop on a non-finite loss or gradient norm — before the update, so the weights
 *      and the last saved checkpoint stay good
 *   3. clip by global norm, AdamW step with the scheduled learning rate
 *   4. report progress; save a checkpoint every `checkpointEvery` steps
 */
import { BatchError, type Llama } from "../model/index.js";
import { adamwStep, createAdamwState, defaultAdamw, frozenIndices, zeroFrozen, type AdamwConfig, type AdamwState } from "./adamw.js";
import type { BatchSource } from "./batches.js";
import { clipGradNorm } from "./clip.js";
import { isObjective, supervised, type Objective, type StepMetrics } from "./objective.js";
import { cosineWithWarmup, type ScheduleConfig } from "./schedule.js";
import { modelTrainable, type Trainable } from "./trainable.js";

export interface StepLog {
  step: number; // 1-based count of updates taken
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number; // tokens in this batch that count toward the loss
  ms: number; // wall time of this step
  /** What the objective reported besides its loss (grpo: reward, KL, format shares …). */
  metrics?: StepMetrics;
}

export interface TrainOptions {
  steps: number;
  schedule: ScheduleConfig;
  /** Global-norm clip threshold; 0 disables clipping. Default 1 (the usual choice for small LMs). */
  clip?: number;
  adamw?: AdamwConfig;
  /** Optimiser state to resume from (its `step` says how many updates were taken). */
  state?: AdamwState;
  onStep?: (log: StepLog) => void;
  /** Save interval in updates (rounded up to a multiple of the objective's `stepMultiple`). */
  checkpointEvery?: number;
  /** Called with the optimiser state after every `checkpointEvery` updates and at the end. */
  saveCheckpoint?: (state: AdamwState) => Promise<void>;
  /**
   * 1 for each element of the trained buffer (the model's flat parameters; with `trainable`, its own) the optimiser must leave exactly as it is
   * (CPI-FT's frozen core regions): its gradient is zeroed before clipping and its value and
   * moments are kept (adamw.ts). Same length as the parameters.
   */
  frozen?: Uint8Array;
  /** What the updates change (trainable.ts); default every weight of the model. A LoRA run trains only its adapter. */
  trainable?: Trainable;
}

export type TrainError =
  | { code: "non_finite"; step: number; loss: number; gradNorm: number; message: string }
  | { code: "bad_batch"; step: number; message: string };

export type TrainResult =
  | { ok: true; losses: number[]; state: AdamwState }
  | { ok: false; losses: number[]; state: AdamwState; error: TrainError };

export async function train(model: Llama<Float32Array>, data: BatchSource | Objective, opts: TrainOptions): Promise<TrainResult> {
  const objective = isObjective(data) ? data : supervised(data);
  // an objective that reuses one rollout for several updates can only stop (and save) between rollouts
  const multiple = objective.stepMultiple ?? 1;
  if (opts.steps % multiple !== 0) throw new Error(`train: ${opts.steps} steps is not a multiple of ${multiple} (the updates per rollout); choose a step count divisible by it`);
  const every = opts.checkpointEvery ? Math.ceil(opts.checkpointEvery / multiple) * multiple : 0;
  const k = model.kernels;
  const trainable = opts.trainable ?? modelTrainable(model);
  const { params, grads, decayMask: mask } = trainable;
  const frozen = opts.frozen ? frozenIndices(opts.frozen, params.length) : undefined;
  if (opts.state && opts.state.m.length !== params.length) {
    throw new Error(`train: the optimiser state holds ${opts.state.m.length} moments, the ${trainable.kind === "lora" ? "adapter" : "model"} has ${params.length} parameters; resume with the state saved for it`);
  }
  const state = opts.state ?? createAdamwState(k, params.length);
  const losses: number[] = [];
  const clip = opts.clip ?? 1;
  // the step of the newest checkpoint this run can fall back to (a resumed run starts from one)
  let lastSaved: number | null = opts.state ? state.step : null;

  while (state.step < opts.steps) {
    const t0 = performance.now();
    trainable.zeroGrad();
    trainable.beforeStep?.(state.step);
    let loss: number;
    let count: number;
    let metrics: StepMetrics | undefined;
    try {
      const r = objective.gradients(model, state.step);
      loss = r.loss;
      count = r.tokens;
      metrics = r.metrics;
      if (r.tokens === 0) throw new BatchError("its loss mask selects no token; every batch must train on at least one token");
    } catch (e) {
      if (!(e instanceof BatchError)) throw e;
      const step = state.step + 1;
      return { ok: false, losses, state, error: { code: "bad_batch", step, message: `the batch for step ${step} is unusable: ${e.message}. Check the data; ${kept(lastSaved)}` } };
    }
    if (frozen) zeroFrozen(grads, frozen);
    const { norm, scale } = clipGradNorm(grads, clip);
    if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
      const step = state.step + 1;
      return {
        ok: false, losses, state,
        error: {
          code: "non_finite", step, loss, gradNorm: norm,
          message: `training stopped at step ${step}: loss ${loss}, gradient norm ${norm}. The weights were not updated; ${kept(lastSaved)}. Lower the learning rate or check the data.`,
        },
      };
    }
    const lr = cosineWithWarmup(state.step, opts.schedule);
    adamwStep({ kernels: k, params, grads, state, decayMask: mask, lr, gradScale: scale, config: opts.adamw ?? defaultAdamw, frozen });
    losses.push(loss);
    opts.onStep?.({ step: state.step, loss, lr, gradNorm: norm, tokens: count, ms: performance.now() - t0, ...(metrics ? { metrics } : {}) });
    if (opts.saveCheckpoint && every && state.step % every === 0) {
      await opts.saveCheckpoint(state);
      lastSaved = state.step;
    }
  }
  if (opts.saveCheckpoint && lastSaved !== state.step) await opts.saveCheckpoint(state);
  return { ok: true, losses, state };
}

function kept(lastSaved: number | null): string {
  return lastSaved === null ? "no checkpoint had been saved yet" : `the last checkpoint (step ${lastSaved}) is kept`;
}

