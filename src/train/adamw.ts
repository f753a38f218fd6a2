/**
 * AdamW over the model's one flat parameter buffer (Loshchilov & Hutter 2019).
 * The moments m, v are flat buffers parallel to the parameters; weight decay applies
 * to matrices only (the size table's `decay` flag). The element-wise update runs in the
 * kernel set's fused kernel when it has one, else in the TypeScript reference.
 *
 * Frozen elements (CPI-FT's core regions, Wang, Liang, Peng 2025, arXiv 2508.21741: "freezing
 * core regions from prior tasks") are left exactly as they were: their gradient is zeroed before
 * clipping (`zeroFrozen`, so it does not count in the global norm) and their value and both
 * moments are put back after the update (so neither the momentum nor the decay moves them).
 * Putting back, rather than masking inside the kernels, keeps every kernel set exact and the
 * same: the update of every other element is the unmasked kernel's, bit for bit.
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

/**
 * The indices of a frozen-parameter mask's nonzero bytes (1 = frozen), ascending. A mask is
 * mostly 0 (CPI-FT freezes a few percent), so the optimiser saves and restores only these.
 */
export function frozenIndices(mask: Uint8Array, n: number): Uint32Array {
  if (mask.length !== n) throw new RangeError(`frozen mask has ${mask.length} elements, the model has ${n} parameters; build the mask from this model's flat parameter layout`);
  let count = 0;
  for (let i = 0; i < n; i++) if (mask[i] !== 0) count++;
  const out = new Uint32Array(count);
  for (let i = 0, k = 0; i < n; i++) if (mask[i] !== 0) out[k++] = i;
  return out;
}

/** Zero the gradient of every frozen element (before clipping, so the norm is the trained elements'). */
export function zeroFrozen(grads: Float32Array, frozen: Uint32Array): void {
  for (let k = 0; k < frozen.length; k++) grads[frozen[k]] = 0;
}

/** One AdamW update: params -= lr · Adam(grads · gradScale), with decoupled decay; `frozen` elements stay as they are. */
export function adamwStep(a: {
  kernels: Kernels; params: Float32Array; grads: Float32Array; state: AdamwState; decayMask: Uint8Array;
  lr: number; gradScale: number; config?: AdamwConfig;
  /** Indices of elements the update must not change (`frozenIndices`); their moments are kept too. */
  frozen?: Uint32Array;
}): void {
  const cfg = a.config ?? defaultAdamw;
  a.state.step += 1;
  const args = {
    params: a.params, grads: a.grads, m: a.state.m, v: a.state.v, decayMask: a.decayMask,
    lr: a.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay,
    step: a.state.step, gradScale: a.gradScale,
  };
  const frozen = a.frozen;
  if (!frozen || frozen.length === 0) {
    (a.kernels.fused.adamw ?? adamwReference)(args);
    return;
  }
  const saved = new Float32Array(3 * frozen.length);
  for (let k = 0; k < frozen.length; k++) {
    const i = frozen[k];
    saved[3 * k] = a.params[i];
    saved[3 * k + 1] = a.state.m[i];
    saved[3 * k + 2] = a.state.v[i];
  }
  (a.kernels.fused.adamw ?? adamwReference)(args);
  for (let k = 0; k < frozen.length; k++) {
    const i = frozen[k];
    a.params[i] = saved[3 * k];
    a.state.m[i] = saved[3 * k + 1];
    a.state.v[i] = saved[3 * k + 2];
  }
}
