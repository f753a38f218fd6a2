/**
 * Everything the training forward pass keeps for backward, in one record (llm.c's
 * ActivationTensors), plus the gradient scratch the backward pass needs.
 * Key: B batch, T time, C channels, NH/KVH heads, HS head size, F ffn, V vocab, L layers.
 */
import type { Buf } from "../tensor/index.js";
import { modelDims, type ModelConfig } from "./config.js";

export interface LayerActivations<B extends Buf> {
  resid: B; // (B·T, C) input to the layer
  ln1: B; // (B·T, C)
  rstd1: B; // (B·T)
  q: B; // (B·T, NH·HS) after RoPE
  k: B; // (B·T, KVH·HS) after RoPE
  v: B; // (B·T, KVH·HS)
  att: B; // (B, NH, T, T)
  y: B; // (B·T, NH·HS) attention output before o_proj
  resid2: B; // (B·T, C) after the attention residual
  ln2: B; // (B·T, C)
  rstd2: B; // (B·T)
  gate: B; // (B·T, F)
  up: B; // (B·T, F)
  h: B; // (B·T, F) silu(gate) ⊙ up
}

export interface Activations<B extends Buf> {
  B: number;
  T: number;
  layers: LayerActivations<B>[];
  residOut: B; // (B·T, C) output of the last layer
  lnf: B; // (B·T, C)
  rstdf: B; // (B·T)
  probs: B; // (B·T, V) softmax, overwritten by dlogits in backward
  logprobs: B; // (B·T) log p(target)
}

export interface GradScratch<B extends Buf> {
  dres: B; // (B·T, C)
  dln: B; // (B·T, C)
  dy: B; // (B·T, NH·HS)
  dq: B; // (B·T, NH·HS)
  dk: B; // (B·T, KVH·HS)
  dv: B; // (B·T, KVH·HS)
  dh: B; // (B·T, F)
  dgate: B; // (B·T, F)
  dup: B; // (B·T, F)
  datt: B; // (T, T)
}

export type Alloc<B extends Buf> = (n: number) => B;

export function allocActivations<B extends Buf>(c: ModelConfig, B: number, T: number, alloc: Alloc<B>): Activations<B> {
  const N = B * T;
  const { qD, kD } = modelDims(c);
  const layers: LayerActivations<B>[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    layers.push({
      resid: alloc(N * c.dim), ln1: alloc(N * c.dim), rstd1: alloc(N),
      q: alloc(N * qD), k: alloc(N * kD), v: alloc(N * kD),
      att: alloc(B * c.nHeads * T * T), y: alloc(N * qD),
      resid2: alloc(N * c.dim), ln2: alloc(N * c.dim), rstd2: alloc(N),
      gate: alloc(N * c.ffnDim), up: alloc(N * c.ffnDim), h: alloc(N * c.ffnDim),
    });
  }
  return {
    B, T, layers,
    residOut: alloc(N * c.dim), lnf: alloc(N * c.dim), rstdf: alloc(N),
    probs: alloc(N * c.vocabSize), logprobs: alloc(N),
  };
}

export function allocGradScratch<B extends Buf>(c: ModelConfig, B: number, T: number, alloc: Alloc<B>): GradScratch<B> {
  const N = B * T;
  const { qD, kD } = modelDims(c);
  return {
    dres: alloc(N * c.dim), dln: alloc(N * c.dim),
    dy: alloc(N * qD), dq: alloc(N * qD), dk: alloc(N * kD), dv: alloc(N * kD),
    dh: alloc(N * c.ffnDim), dgate: alloc(N * c.ffnDim), dup: alloc(N * c.ffnDim),
    datt: alloc(T * T),
  };
}

/** Floats needed by allocActivations / allocGradScratch, each view rounded up to 16 floats. */
function counted(run: (alloc: Alloc<Float32Array>) => void): number {
  let n = 0;
  const dummy = new Float32Array(0);
  run((len) => {
    n += Math.ceil(len / 16) * 16;
    return dummy;
  });
  return n;
}

export function activationsSize(c: ModelConfig, B: number, T: number): number {
  return counted((a) => allocActivations(c, B, T, a));
}

export function gradScratchSize(c: ModelConfig, B: number, T: number): number {
  return counted((a) => allocGradScratch(c, B, T, a));
}
