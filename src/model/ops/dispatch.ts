/**
 * Runs an op on the kernel set's fused kernel when it has one and the buffers are
 * Float32, else on the TypeScript reference in this folder. The passes (forward.ts,
 * backward.ts, infer.ts) call ops through here; tests call the references directly.
 */
import type { Buf, FusedKernels, Kernels } from "../../tensor/index.js";
import { attentionBackward, attentionForward } from "./attention.js";
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

export const run = {
  rmsnormForward(k: Kernels, a: Parameters<typeof rmsnormForward>[0]): void {
    const f = fused(k, "rmsnormForward", a.out);
    if (f) f(a as Fused<"rmsnormForward">);
    else rmsnormForward(a);
  },
  rmsnormBackward(k: Kernels, a: Parameters<typeof rmsnormBackward>[0]): void {
    const f = fused(k, "rmsnormBackward", a.dinp);
    if (f) f(a as Fused<"rmsnormBackward">);
    else rmsnormBackward(a);
  },
  swigluForward(k: Kernels, a: Parameters<typeof swigluForward>[0]): void {
    const f = fused(k, "swigluForward", a.out);
    if (f) f(a as Fused<"swigluForward">);
    else swigluForward(a);
  },
  swigluBackward(k: Kernels, a: Parameters<typeof swigluBackward>[0]): void {
    const f = fused(k, "swigluBackward", a.dgate);
    if (f) f(a as Fused<"swigluBackward">);
    else swigluBackward(a);
  },
  attentionForward(k: Kernels, a: Parameters<typeof attentionForward>[1]): void {
    const f = fused(k, "attentionForward", a.out);
    if (f) f(a as Fused<"attentionForward">);
    else attentionForward(k, a);
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
  crossEntropyBackward(k: Kernels, a: Parameters<typeof crossEntropyBackward>[0]): void {
    const f = fused(k, "crossEntropyBackward", a.probs);
    if (f) f(a as Fused<"crossEntropyBackward">);
    else crossEntropyBackward(a);
  },
  ropeForward(k: Kernels, a: Parameters<typeof ropeForward>[0]): void {
    const f = fused(k, "ropeForward", a.x);
    if (f) f(a as Fused<"ropeForward">);
    else ropeForward(a);
  },
  ropeBackward(k: Kernels, a: Parameters<typeof ropeBackward>[0]): void {
    const f = fused(k, "ropeBackward", a.dx);
    if (f) f(a as Fused<"ropeBackward">);
    else ropeBackward(a);
  },
  residualForward(k: Kernels, a: Parameters<typeof residualForward>[0]): void {
    const f = fused(k, "residualForward", a.out);
    if (f) f(a as Fused<"residualForward">);
    else residualForward(a);
  },
  residualBackward(k: Kernels, a: Parameters<typeof residualBackward>[0]): void {
    const f = fused(k, "residualBackward", a.dx);
    if (f) f(a as Fused<"residualBackward">);
    else residualBackward(a);
  },
  embeddingForward(k: Kernels, a: Parameters<typeof embeddingForward>[0]): void {
    const f = fused(k, "embeddingForward", a.out);
    if (f) f(a as Fused<"embeddingForward">);
    else embeddingForward(a);
  },
  embeddingBackward(k: Kernels, a: Parameters<typeof embeddingBackward>[0]): void {
    const f = fused(k, "embeddingBackward", a.dwte);
    if (f) f(a as Fused<"embeddingBackward">);
    else embeddingBackward(a);
  },
};
