/**
 * `Llama`: parameters, gradients and the passes over them, for one config.
 * Float32 in normal use; Float64 for gradient checks (then the ts reference kernels
 * run every matmul).
 */
import type { Buf, Kernels } from "../tensor/index.js";
import { activationsSize, allocActivations, allocGradScratch, gradScratchSize, type Activations, type Alloc, type GradScratch } from "./activations.js";
import { trainBackward } from "./backward.js";
import { headDim, validateConfig, type ModelConfig } from "./config.js";
import { BatchError, checkBatch, defaultPositions, trainForward, type TrainBatch } from "./forward.js";
import { ropeTable, type RopeTable } from "./ops/index.js";
import { parameterTable, totalParameters, viewParameters, numel, type ParamViews } from "./parameters.js";
import type { LoraAdapter } from "./lora.js";
import { AttachedLora, type LoraActivations, type LoraAttachOptions, type LoraPass } from "./lora-runtime.js";
import type { Rng } from "../random/index.js";

export type DType = "f32" | "f64";

export interface ForwardResult {
  /** Masked mean cross-entropy (nats per token); NaN when the mask is all zero. */
  loss: number;
  /** Number of tokens the loss averages over. */
  count: number;
}

export class Llama<B extends Buf = Float32Array> {
  readonly config: ModelConfig;
  readonly kernels: Kernels;
  readonly params: ParamViews<B>;
  readonly grads: ParamViews<B>;
  readonly rope: RopeTable;
  private readonly alloc: Alloc<B>;
  private acts: Activations<B> | null = null;
  private scratch: GradScratch<B> | null = null;
  private last: { batch: TrainBatch; positions: Int32Array; count: number } | null = null;
  private phase: "none" | "forward" | "backward" = "none";
  private poolBuf: B | null = null;
  private loraState: AttachedLora<B> | null = null;
  private loraActs: LoraActivations<B> | null = null;
  private lastLoraPass: LoraPass | null = null;
  private sink: B | null = null;
  /**
   * Frozen weights (SoftCoT's backbone and assistant): backward computes only activation
   * gradients (d input embeddings, d hidden), no weight gradient — the frozen-base path a
   * training LoRA adapter uses. `grads` is left untouched.
   */
  frozen = false;

  constructor(config: ModelConfig, kernels: Kernels, alloc: Alloc<B>) {
    const errors = validateConfig(config);
    if (errors.length) throw new Error(`invalid model config: ${errors.map((e) => e.message).join("; ")}`);
    this.config = { ...config };
    this.kernels = kernels;
    this.alloc = alloc;
    const n = totalParameters(config);
    this.params = viewParameters(config, alloc(n));
    this.grads = viewParameters(config, alloc(n));
    this.rope = ropeTable(headDim(config), config.contextLength, config.ropeTheta);
  }

  static f32(config: ModelConfig, kernels: Kernels): Llama<Float32Array> {
    return new Llama<Float32Array>(config, kernels, (n) => kernels.alloc(n));
  }

  static f64(config: ModelConfig, kernels: Kernels): Llama<Float64Array> {
    return new Llama<Float64Array>(config, kernels, (n) => new Float64Array(n));
  }

  get numParameters(): number {
    return this.params.flat.length;
  }

  /**
   * GPT-2 / nanoGPT initialisation: N(0, 0.02) for matrices, with the residual
   * projections (o_proj, down_proj) scaled by 1/√(2L) (Radford et al. 2019); norm gains 1.
   */
  initialize(rng: Rng, std = 0.02): void {
    const residStd = std / Math.sqrt(2 * this.config.nLayers);
    for (const spec of parameterTable(this.config)) {
      const view = this.params.byName.get(spec.name)!;
      if (spec.shape.length === 1) {
        view.fill(1);
        continue;
      }
      const s = /o_proj|down_proj/.test(spec.name) ? residStd : std;
      for (let i = 0; i < numel(spec.shape); i++) view[i] = rng.normal() * s;
    }
  }

  zeroGrad(): void {
    this.grads.flat.fill(0);
  }

  /**
   * Apply a LoRA adapter without merging it (lora-runtime.ts): every training and
   * inference pass adds s · (x Aᵀ) Bᵀ to the targeted linear layers. The factors are
   * copied into one flat buffer (`lora.params.flat`); with `train: true` backward fills
   * `lora.grads` and leaves the base frozen (no base weight gradient is computed).
   */
  attachLora(adapter: LoraAdapter, o: LoraAttachOptions = {}): AttachedLora<B> {
    this.loraState = new AttachedLora(this.config, adapter, this.alloc, o);
    this.acts = null; // the activation pool gains the adapter's buffers at the next forward
    this.phase = "none";
    return this.loraState;
  }

  detachLora(): void {
    this.loraState = null;
    this.loraActs = null;
    this.acts = null;
    this.phase = "none";
  }

  /** The attached adapter, or null. */
  get lora(): AttachedLora<B> | null {
    return this.loraState;
  }

  /** Forward over a (B, T) batch; keeps activations for `backward`. */
  forward(batch: TrainBatch): ForwardResult {
    const problem = checkBatch(this.config, batch);
    if (problem) throw new BatchError(problem);
    const { B, T } = batch;
    if (!this.acts || this.acts.B !== B || this.acts.T !== T) {
      const lora = this.loraState;
      const loraSize = lora ? counted<B>((a) => lora.allocActivations(B * T, a)) : 0;
      const pool = this.pool(activationsSize(this.config, B, T) + gradScratchSize(this.config, B, T) + loraSize);
      this.acts = allocActivations(this.config, B, T, pool);
      this.scratch = allocGradScratch(this.config, B, T, pool);
      this.loraActs = lora ? lora.allocActivations(B * T, pool) : null;
    }
    const positions = batch.positions ?? defaultPositions(B, T);
    const loraPass = this.loraState ? this.loraState.pass(this.kernels, this.loraActs!, B * T) : null;
    this.lastLoraPass = loraPass;
    const r = trainForward(this.kernels, this.config, this.params, this.acts, this.rope, batch, positions, loraPass);
    this.last = { batch, positions, count: r.count };
    this.phase = "forward";
    return r;
  }

  /**
   * Activations and gradient scratch for one (B, T) are views cut from one pooled
   * buffer that only grows, so batches of changing shape (SFT, scoring) reuse memory
   * instead of allocating per shape (the wasm arena never frees).
   */
  private pool(n: number): Alloc<B> {
    if (!this.poolBuf || this.poolBuf.length < n) this.poolBuf = this.alloc(n);
    const buf = this.poolBuf;
    buf.fill(0, 0, n);
    let off = 0;
    return (len) => {
      // 16-float (64-byte) alignment keeps SIMD kernels on aligned rows
      const view = buf.subarray(off, off + len) as B;
      off += Math.ceil(len / 16) * 16;
      return view;
    };
  }

  /** Per-token log p(target) of the last forward, (B·T). */
  lastLogprobs(): B {
    if (!this.acts) throw new Error("call forward() first");
    return this.acts.logprobs;
  }

  /**
   * Softmax over the vocabulary (B·T, V) of the last forward. Valid until `backward`
   * (which overwrites it with dlogits) or the next forward.
   */
  lastProbs(): B {
    if (!this.acts || !this.last) throw new Error("call forward() first");
    if (this.phase !== "forward") throw new Error("lastProbs() after backward(): backward overwrote the softmax with dlogits; call forward() again");
    return this.acts.probs;
  }

  /**
   * Replace the loss of the last forward by a weighted sum over its tokens,
   *   loss = Σₙ wₙ · (−log p(targetₙ)) / normalizer,
   * so that `backward` differentiates it: d loss / d log p(targetₙ) = −wₙ / normalizer.
   * Unlike a loss mask the weights may be negative: a policy-gradient objective gives
   * each sampled token its (signed) advantage, computed from this forward's
   * `lastLogprobs()` (grpo.ts). Returns the new loss.
   */
  reweight(weights: Float32Array, normalizer: number): number {
    if (!this.acts || !this.last || this.phase !== "forward") throw new Error("reweight() needs a forward() first, before backward()");
    const N = this.last.batch.B * this.last.batch.T;
    if (weights.length !== N) throw new BatchError(`reweight: ${weights.length} weights for a batch of B·T = ${N} tokens`);
    if (!(normalizer > 0 && Number.isFinite(normalizer))) throw new BatchError(`reweight: the normalizer must be finite and > 0 (got ${normalizer})`);
    const lp = this.acts.logprobs;
    let total = 0;
    for (let n = 0; n < N; n++) {
      if (!Number.isFinite(weights[n])) throw new BatchError(`reweight: weight ${n} is ${weights[n]}; weights must be finite`);
      if (weights[n] !== 0) total -= weights[n] * lp[n];
    }
    this.last = { ...this.last, batch: { ...this.last.batch, mask: weights }, count: normalizer };
    return total / normalizer;
  }

  /** The final-normed hidden states (B·T, C) of the last forward: what the LM head reads (HF's last `hidden_states`). */
  lastHidden(): B {
    if (!this.acts || !this.last) throw new Error("call forward() first");
    return this.acts.lnf;
  }

  /**
   * Adds d loss / d θ into `grads` for a loss on the last forward's hidden states
   * (`lastHidden()`), given d loss / d hidden (B·T, C): the cross-entropy and LM head are
   * skipped. For a model whose hidden states feed another (SoftCoT's assistant).
   */
  backwardFromHidden(dHidden: B): void {
    if (!this.acts || !this.scratch || !this.last || this.phase !== "forward") throw new Error("backwardFromHidden() needs a forward() first (one backward per forward)");
    if (dHidden.length !== this.acts.lnf.length) throw new Error(`backwardFromHidden: ${dHidden.length} values for hidden states of ${this.acts.lnf.length}`);
    this.phase = "backward";
    trainBackward(this.kernels, this.config, this.params, this.grads, this.acts, this.scratch, this.rope, this.last.batch, this.last.positions, this.last.count, dHidden, this.adapterArgs());
  }

  /** Adds d loss / d θ of the last forward into `grads`. */
  backward(): void {
    if (!this.acts || !this.scratch || !this.last || this.phase !== "forward") throw new Error("backward() needs a forward() first (one backward per forward)");
    if (this.last.count <= 0) throw new Error("the loss mask selects no token; nothing to differentiate");
    this.phase = "backward";
    trainBackward(
      this.kernels, this.config, this.params, this.grads, this.acts, this.scratch, this.rope, this.last.batch, this.last.positions, this.last.count,
      undefined, this.adapterArgs(),
    );
  }

  /** The adapter's part of a backward: its pass of the last forward; a sink for the norm gains when the base is frozen. */
  private adapterArgs(): { lora: LoraPass | null; normSink: B | null } {
    return { lora: this.lastLoraPass, normSink: this.loraState?.train || this.frozen ? this.normSink() : null };
  }

  /** Where a frozen base's norm-gain gradients go (the fused rmsnorm backward always writes one): thrown away. */
  private normSink(): B {
    if (!this.sink) this.sink = this.alloc(this.config.dim);
    this.sink.fill(0);
    return this.sink;
  }
}

/** Floats a sequence of `alloc` calls takes from the pool (each view rounded up to 16 floats, as `pool` cuts them). */
function counted<B extends Buf>(run: (alloc: Alloc<B>) => void): number {
  let n = 0;
  const dummy = new Float32Array(0) as B;
  run((len) => {
    n += Math.ceil(len / 16) * 16;
    return dummy;
  });
  return n;
}
