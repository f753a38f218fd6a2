/**
 * AdamW over the model's one flat parameter buffer (Loshchilov & Hutter 2019).
 * The moments m, v are flat buffers parallel to the parameters; weight decay applies
 * to matrices only (the size table's `decay` flag). The element-wise update runs in the
 * kernel set's fused kernel when it has one, else in the TypeScript reference.
 */
import { adamwReference, type Kernels } from "../tensor/index.js";

export interface AdamwConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Defaults as in nanoGPT / GPT-3: β2 = 0.95 is steadier than 0.999 for short runs. */
export const defaultAdamw: AdamwConfig = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

export interface AdamwState {
  m: Float32Array;
  v: Float32Array;
  /** Number of updates taken so far (the next update is step + 1). */
  step: number;
}

export function createAdamwState(kernels: Kernels, n: number): AdamwState {
  return { m: kernels.alloc(n), v: kernels.alloc(n), step: 0 };
}

/** One AdamW update: params -= lr · Adam(grads · gradScale), with decoupled decay. */
export function adamwStep(a: {
  kernels: Kernels; params: Float32Array; grads: Float32Array; state: AdamwState; decayMask: Uint8Array;
  lr: number; gradScale: number; config?: AdamwConfig;
}): void {
  const cfg = a.config ?? defaultAdamw;
  a.state.step += 1;
  const args = {
    params: a.params, grads: a.grads, m: a.state.m, v: a.state.v, decayMask: a.decayMask,
    lr: a.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay,
    step: a.state.step, gradScale: a.gradScale,
  };
  (a.kernels.fused.adamw ?? adamwReference)(args);
}
