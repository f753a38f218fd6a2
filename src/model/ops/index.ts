/**
 * The closed op set of the engine. Every op has a forward and a backward (which
 * adds into gradient buffers) and a finite-difference check in test/model/ops.test.ts,
 * which is keyed by `OpName` so the compiler notices a missing test.
 */
export { embeddingForward, embeddingBackward } from "./embedding.js";
export { rmsnormForward, rmsnormBackward } from "./rmsnorm.js";
export { ropeForward, ropeBackward, ropeTable, type RopeTable } from "./rope.js";
export { attentionForward, attentionBackward, attentionDecode, DECODE_MAX_ROWS, type AttentionShape, type DecodeAttention } from "./attention.js";
export { swigluForward, swigluBackward } from "./swiglu.js";
export { linearForward, linearBackward, matmul } from "./linear.js";
export { residualForward, residualBackward } from "./residual.js";
export { crossEntropyForward, crossEntropyBackward, type CrossEntropyResult } from "./crossentropy.js";

export const opNames = ["embedding", "rmsnorm", "rope", "attention", "swiglu", "linear", "residual", "crossentropy"] as const;
export type OpName = (typeof opNames)[number];
