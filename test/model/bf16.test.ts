/**
 * Training with bf16 products against the float32 path, on the PyTorch fixture of
 * test/model/torch-reference.test.ts (both variants, the same ten AdamW steps).
 *
 * Tolerance, relative to the float32 run: step losses within 5e-3, pre-clip gradient
 * norms within 2e-2. Why: bf16 keeps 8 bits of mantissa, so every operand of every
 * product (weights, activations, gradients) carries a rounding error up to 2^-9 ≈ 2e-3;
 * the largest differences measured here are 1.3e-3 on the losses and 3.6e-3 on the
 * norms (mha-tied), and the bounds sit about 4× and 5× above them. They are far below
 * the signal training looks at: the loss changes by 17–28% from one step to the next in
 * these runs, and a packing mistake in the bf16 kernel (a wrong pair, column or tail)
 * moves the very first loss by far more than 5e-3. Float32 itself agrees with PyTorch to
 * 1e-5 (torch-reference.test.ts); bf16 is not held to that, which is why it is off by
 * default (docs/PERFORMANCE.md).
 *
 * On a CPU without AVX512_BF16 (or without the native kernels) the comparison cannot
 * run; the test then checks that bf16 is refused rather than silently ignored.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mustStart } from "../helpers/required.js";
import { Llama, decayMask, type ModelConfig } from "../../src/model/index.js";
import { loadKernels } from "../../src/tensor/index.js";
import type { MatmulPrecision, NativeKernels } from "../../src/tensor/native.js";
import { adamwStep, clipGradNorm, cosineWithWarmup, createAdamwState } from "../../src/train/index.js";

const TOL_LOSS_REL = 5e-3;
const TOL_NORM_REL = 2e-2;

interface FixtureBatch { tokens: number[]; targets: number[]; mask: number[] }
interface Fixture {
  config: ModelConfig;
  B: number;
  T: number;
  params: { name: string }[];
  weights: Record<string, number[]>;
  adamw: {
    steps: number;
    schedule: { maxLr: number; minLr: number; warmupSteps: number; totalSteps: number };
    betas: [number, number];
    eps: number;
    weight_decay: number;
    clip_norm: number;
    batches: FixtureBatch[];
    step_losses: number[];
  };
}

function loadFixture(variant: string): Fixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/torch/tiny-llama-v1/${variant}.json`, import.meta.url), "utf8")) as Fixture;
}

/** The fixture's ten AdamW steps on the native kernels at one matmul precision. */
function train(fx: Fixture, k: NativeKernels, precision: MatmulPrecision): { losses: number[]; norms: number[] } {
  const model = Llama.f32(fx.config, k);
  for (const p of fx.params) model.params.byName.get(p.name)!.set(fx.weights[p.name]);
  const a = fx.adamw;
  const state = createAdamwState(k, model.numParameters);
  const mask = decayMask(fx.config);
  const config = { beta1: a.betas[0], beta2: a.betas[1], eps: a.eps, weightDecay: a.weight_decay };
  const losses: number[] = [];
  const norms: number[] = [];
  k.setMatmulPrecision(precision);
  try {
    for (let s = 0; s < a.steps; s++) {
      const b = a.batches[s];
      model.zeroGrad();
      const { loss } = model.forward({ B: fx.B, T: fx.T, tokens: Int32Array.from(b.tokens), targets: Int32Array.from(b.targets), mask: Float32Array.from(b.mask) });
      model.backward();
      const { norm, scale } = clipGradNorm(model.grads.flat, a.clip_norm);
      adamwStep({ kernels: k, params: model.params.flat, grads: model.grads.flat, state, decayMask: mask, lr: cosineWithWarmup(s, a.schedule), gradScale: scale, config });
      losses.push(loss);
      norms.push(norm);
    }
  } finally {
    k.setMatmulPrecision("f32");
  }
  return { losses, norms };
}

let native: NativeKernels | string;
try {
  native = (await loadKernels("native")).kernels as NativeKernels;
} catch (e) {
  native = (e as Error).message;
}

describe("bf16 training against float32 on the PyTorch fixture", () => {
  if (typeof native === "string") {
    const why = native;
    it(`native is unavailable on this machine (${why})`, () => expect(mustStart("native"), "native must start in this run").toBe(false));
    return;
  }
  const k = native;
  if (!k.bf16Supported) {
    it("this CPU has no AVX512_BF16: bf16 is refused, training stays float32", () => {
      expect(() => k.setMatmulPrecision("bf16")).toThrow(/AVX512_BF16/);
      expect(k.matmulPrecision()).toBe("f32");
    });
    return;
  }
  for (const variant of ["gqa-untied", "mha-tied"]) {
    it(`${variant}: ten AdamW steps, losses within ${TOL_LOSS_REL} and gradient norms within ${TOL_NORM_REL} (relative)`, () => {
      const fx = loadFixture(variant);
      const f32 = train(fx, k, "f32");
      const bf16 = train(fx, k, "bf16");
      const problems: string[] = [];
      let moved = 0;
      for (let s = 0; s < fx.adamw.steps; s++) {
        const dl = Math.abs(bf16.losses[s] - f32.losses[s]) / f32.losses[s];
        const dn = Math.abs(bf16.norms[s] - f32.norms[s]) / f32.norms[s];
        moved = Math.max(moved, dl);
        if (!(dl <= TOL_LOSS_REL)) problems.push(`step ${s}: loss bf16 ${bf16.losses[s]}, f32 ${f32.losses[s]} (rel ${dl.toExponential(2)})`);
        if (!(dn <= TOL_NORM_REL)) problems.push(`step ${s}: grad norm bf16 ${bf16.norms[s]}, f32 ${f32.norms[s]} (rel ${dn.toExponential(2)})`);
      }
      expect(problems).toEqual([]);
      // the float32 run is the one torch-reference.test.ts holds to 1e-5; and bf16 did run
      expect(Math.abs(f32.losses[9] - fx.adamw.step_losses[9]) / fx.adamw.step_losses[9]).toBeLessThanOrEqual(1e-5);
      expect(moved, "bf16 losses equal float32 ones: were the products really bf16?").toBeGreaterThan(1e-6);
    });
  }
});
