/**
 * Runs an op on the kernel set's fused kernel when it has one and the buffers are
 * Float32, else on the TypeScript reference in this folder. The passes (forward.ts,
 * backward.ts, infer.ts) call ops through here; tests call the references directly.
 */
import type { Buf, FusedKernels, Kernels } from "../../tensor/index.js";
import { attentionBackward, attentionDecode, attentionForward } from "./attention.js";
import { crossEntropyBackward, crossEntropyForward, type CrossEntropyResult } from "./crossentropy.js";
import { embeddingBackward, embeddingForward } from "./embedding.js";
import { residualBackward, residualForward } from "./residual.js";
import { rmsnormBackward, rmsnormForward } from "./rmsnorm.js";
import { ropeBackward, ropeForward } from "./rope.js";
import { swigluBackward, swigluForward } from "./swiglu.js";

type Fused<K extends keyof FusedKernels> = Parameters<NonNullable<FusedKernels[K]>>[0];

function fused<K extends keyof FusedKernels>(k: Kernels, name: K, probe: Buf): FusedKernels[K] | undefined {
  return probe instanceof Float32Array ? k.fused[name] : undefined;
}

/** An op whose reference takes only its arguments: the fused kernel `name` when `probe(a)` is Float32 and the set has it. */
function viaFused<K extends keyof FusedKernels, A>(name: K, reference: (a: A) => void, probe: (a: A) => Buf) {
  return (k: Kernels, a: A): void => {
    const f = fused(k, name, probe(a)) as ((a: Fused<K>) => void) | undefined;
    if (f) f(a as unknown as Fused<K>);
    else reference(a);
  };
}

function attentionForwardAny(k: Kernels, a: Parameters<typeof attentionForward>[1]): void {
  const f = fused(k, "attentionForward", a.out);
  if (f) f(a as Fused<"attentionForward">);
  else attentionForward(k, a);
}

export const run = {
  rmsnormForward: viaFused("rmsnormForward", rmsnormForward, (a) => a.out),
  rmsnormBackward: viaFused("rmsnormBackward", rmsnormBackward, (a) => a.dinp),
  swigluForward: viaFused("swigluForward", swigluForward, (a) => a.out),
  swigluBackward: viaFused("swigluBackward", swigluBackward, (a) => a.dgate),
  attentionForward: attentionForwardAny,
  /** The fused kernel, else one attentionForward per sequence (itself fused where the set has it). */
  attentionDecode(k: Kernels, a: Parameters<typeof attentionDecode>[1]): void {
    const f = fused(k, "attentionDecode", a.out);
    if (f) f(a as Fused<"attentionDecode">);
    else attentionDecode(k, a, attentionForwardAny);
  },
  attentionBackward(k: Kernels, a: Parameters<typeof attentionBackward>[1]): void {
    const f = fused(k, "attentionBackward", a.dq);
    if (f) f(a as Fused<"attentionBackward">);
    else attentionBackward(k, a);
  },
  crossEntropyForward(k: Kernels, a: Parameters<typeof crossEntropyForward>[0]): CrossEntropyResult {
    const f = fused(k, "crossEntropyForward", a.logits);
    return f ? f(a as Fused<"crossEntropyForward">) : crossEntropyForward(a);
  },
  crossEntropyBackward: viaFused("crossEntropyBackward", crossEntropyBackward, (a) => a.probs),
  ropeForward: viaFused("ropeForward", ropeForward, (a) => a.x),
  ropeBackward: viaFused("ropeBackward", ropeBackward, (a) => a.dx),
  residualForward: viaFused("residualForward", residualForward, (a) => a.out),
  residualBackward: viaFused("residualBackward", residualBackward, (a) => a.dx),
  embeddingForward: viaFused("embeddingForward", embeddingForward, (a) => a.out),
  embeddingBackward: viaFused("embeddingBackward", embeddingBackward, (a) => a.dwte),
};
