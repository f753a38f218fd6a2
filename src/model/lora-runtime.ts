/**
 * A LoRA adapter attached to a model (lora.ts has the contract): its factors and their
 * gradients each live in one flat buffer with named views (as parameters.ts does for the
 * base), in LORA_MODULES order per layer, A before B. The training forward keeps, per
 * adapted module, xs = s · d(x) Aᵀ (N, r) and, with dropout, the mask (N, IN); these sit in
 * the model's activation pool next to the base's activations.
 *
 * Dropout is seeded: `seedDropout(seed)` (the trainer calls it once per update with a
 * seed derived from the run seed and the step) restarts a counter of training forwards,
 * and forward i of the update draws its masks from a generator seeded by (seed, i), so an
 * update's masks depend only on the run seed and the step (a resumed run repeats them).
 */
import type { Buf, Kernels } from "../tensor/index.js";
import { createRng, type Rng } from "../random/index.js";
import type { Alloc } from "./activations.js";
import type { ModelConfig } from "./config.js";
import { LORA_MODULES, checkLoraAdapter, loraModuleShape, loraScale, type LoraAdapter, type LoraConfig, type LoraModule } from "./lora.js";
import { loraBackward, loraForward, type LoraFactors } from "./lora-ops.js";

/** Named views of one flat adapter buffer (factors, or their gradients). */
export interface LoraViews<B extends Buf> {
  flat: B;
  layers: Partial<Record<LoraModule, LoraFactors<B>>>[];
}

export interface LoraAttachOptions {
  /** The update's scale s; default alpha / r (PEFT's). */
  scale?: number;
  /**
   * true: the adapter is being trained — backward computes dA, dB and skips every base
   * weight gradient (the base is frozen; dx still flows), and dropout applies in training
   * forwards. false (default): the adapter is a fixed part of the model.
   */
  train?: boolean;
}

/** Floats in one adapter buffer. */
export function loraSize(c: ModelConfig, cfg: LoraConfig): number {
  let n = 0;
  for (const m of cfg.targetModules) {
    const s = loraModuleShape(c, m);
    n += cfg.r * (s.in + s.out);
  }
  return n * c.nLayers;
}

export function viewLora<B extends Buf>(c: ModelConfig, cfg: LoraConfig, flat: B): LoraViews<B> {
  let off = 0;
  const cut = (n: number) => {
    const v = flat.subarray(off, off + n) as B;
    off += n;
    return v;
  };
  const layers: Partial<Record<LoraModule, LoraFactors<B>>>[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    const layer: Partial<Record<LoraModule, LoraFactors<B>>> = {};
    for (const m of LORA_MODULES) {
      if (!cfg.targetModules.includes(m)) continue;
      const s = loraModuleShape(c, m);
      layer[m] = { A: cut(cfg.r * s.in), B: cut(s.out * cfg.r) };
    }
    layers.push(layer);
  }
  if (off !== flat.length) throw new Error(`adapter buffer has ${flat.length} values, the adapter needs ${off}`);
  return { flat, layers };
}

interface ModuleActs<B extends Buf> {
  xs: B; // (N, r)
  mask: B | null; // (N, IN), dropout only
}

/** What the adapter keeps from one training forward, and the scratch its backward needs. */
export interface LoraActivations<B extends Buf> {
  layers: Partial<Record<LoraModule, ModuleActs<B>>>[];
  dxa: B; // (N, r)
  tmp: B | null; // (N, max IN), dropout only
}

export class AttachedLora<B extends Buf> {
  readonly config: LoraConfig;
  readonly scale: number;
  readonly train: boolean;
  readonly params: LoraViews<B>;
  readonly grads: LoraViews<B>;
  private readonly model: ModelConfig;
  private dropoutSeed = 0;
  private forwards = 0;

  constructor(c: ModelConfig, adapter: LoraAdapter, alloc: Alloc<B>, o: LoraAttachOptions = {}) {
    const bad = checkLoraAdapter(c, adapter);
    if (bad) throw new Error(`cannot attach the LoRA adapter: ${bad}`);
    this.model = c;
    this.config = { ...adapter.config, targetModules: [...adapter.config.targetModules] };
    this.scale = o.scale ?? loraScale(adapter.config);
    this.train = o.train ?? false;
    const n = loraSize(c, this.config);
    this.params = viewLora(c, this.config, alloc(n));
    this.grads = viewLora(c, this.config, alloc(n));
    adapter.layers.forEach((layer, l) => {
      for (const m of this.config.targetModules) {
        this.params.layers[l][m]!.A.set(layer[m]!.A);
        this.params.layers[l][m]!.B.set(layer[m]!.B);
      }
    });
  }

  /** The attached factors as a LoraAdapter whose A, B are views of the flat buffer (float32 models). */
  adapter(): LoraAdapter {
    if (!(this.params.flat instanceof Float32Array)) throw new Error("adapter(): a float64 model's adapter has no float32 views; read params instead");
    return { config: { ...this.config, targetModules: [...this.config.targetModules] }, layers: this.params.layers as LoraAdapter["layers"] };
  }

  seedDropout(seed: number): void {
    this.dropoutSeed = seed >>> 0;
    this.forwards = 0;
  }

  /** Whether training forwards draw dropout masks. */
  get dropout(): boolean {
    return this.train && this.config.dropout > 0;
  }

  /** Calls `alloc` for every buffer of one (N = B·T rows) training forward, in a fixed order. */
  allocActivations(N: number, alloc: Alloc<B>): LoraActivations<B> {
    const r = this.config.r;
    let maxIn = 0;
    const layers = Array.from({ length: this.model.nLayers }, () => {
      const acts: Partial<Record<LoraModule, ModuleActs<B>>> = {};
      for (const m of this.config.targetModules) {
        const IN = loraModuleShape(this.model, m).in;
        maxIn = Math.max(maxIn, IN);
        acts[m] = { xs: alloc(N * r), mask: this.dropout ? alloc(N * IN) : null };
      }
      return acts;
    });
    return { layers, dxa: alloc(N * r), tmp: this.dropout ? alloc(N * maxIn) : null };
  }

  /** The generator of the next training forward's dropout masks (null without dropout). */
  nextDropoutRng(): Rng | null {
    if (!this.dropout) return null;
    const i = this.forwards++;
    return createRng((this.dropoutSeed ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0);
  }

  /** The adapter applied within one training forward / backward over N rows. */
  pass(k: Kernels, acts: LoraActivations<B>, N: number): LoraPass {
    const rng = this.nextDropoutRng();
    const keep = 1 / (1 - this.config.dropout);
    const p = this.config.dropout;
    const shape = (m: LoraModule) => {
      const s = loraModuleShape(this.model, m);
      return { N, IN: s.in, OUT: s.out, r: this.config.r, scale: this.scale };
    };
    return {
      forward: (l, m, inp, out) => {
        const f = this.params.layers[l][m];
        if (!f) return;
        const a = acts.layers[l][m]!;
        if (a.mask && rng) for (let i = 0; i < a.mask.length; i++) a.mask[i] = rng.next() < p ? 0 : keep;
        loraForward(k, f, shape(m), { out, inp, xs: a.xs, mask: a.mask, tmp: acts.tmp });
      },
      backward: (l, m, inp, dout, dinp) => {
        const f = this.params.layers[l][m];
        if (!f) return;
        const a = acts.layers[l][m]!;
        loraBackward(k, f, this.train ? this.grads.layers[l][m]! : null, shape(m), { dinp, dout, inp, xs: a.xs, mask: a.mask, dxa: acts.dxa, tmp: acts.tmp });
      },
    };
  }

  /** The adapter applied in an inference forward over N rows (no dropout, nothing kept). */
  inferPass(k: Kernels, N: number): LoraPass {
    const xs = new Float32Array(N * this.config.r);
    return {
      forward: (l, m, inp, out) => {
        const f = this.params.layers[l][m];
        if (!f) return;
        const s = loraModuleShape(this.model, m);
        loraForward(k, f, { N, IN: s.in, OUT: s.out, r: this.config.r, scale: this.scale }, { out, inp, xs, mask: null, tmp: null });
      },
      backward: () => {
        throw new Error("an inference pass has no backward");
      },
    };
  }
}

/** The adapter inside one pass: each call adds the module's update (forward) or its gradients (backward). */
export interface LoraPass {
  forward(layer: number, m: LoraModule, inp: Buf, out: Buf): void;
  backward(layer: number, m: LoraModule, inp: Buf, dout: Buf, dinp: Buf): void;
}
