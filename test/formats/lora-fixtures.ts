/** A tiny GQA base config and seeded random LoRA adapters for the PEFT, merge and GGUF LoRA tests. */
import { createRng } from "../../src/random/index.js";
import { LORA_MODULES, type LoraAdapter, type LoraModule, type LoraPair, type ModelConfig } from "../../src/model/index.js";
import { moduleShape } from "../../src/formats/index.js";

/** Every module has a different (out, in), so a factor put in the wrong place cannot pass a shape check. */
export const tinyBase: ModelConfig = {
  vocabSize: 112, dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 24,
  contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};

/** A seeded adapter with non-zero A and B (B is zero only in a fresh, untrained adapter). */
export function randomAdapter(
  base: ModelConfig,
  o: { seed: number; r?: number; alpha?: number; targets?: LoraModule[]; std?: number },
): LoraAdapter {
  const rng = createRng(o.seed);
  const r = o.r ?? 4;
  const targets = o.targets ?? [...LORA_MODULES];
  const std = o.std ?? 0.2;
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * std);
  const layers: Partial<Record<LoraModule, LoraPair>>[] = [];
  for (let l = 0; l < base.nLayers; l++) {
    const layer: Partial<Record<LoraModule, LoraPair>> = {};
    for (const m of targets) {
      const [out, inp] = moduleShape(base, m);
      layer[m] = { A: fill(r * inp), B: fill(out * r) };
    }
    layers.push(layer);
  }
  return { config: { r, alpha: o.alpha ?? 2 * r, dropout: 0, targetModules: targets }, layers };
}
