/**
 * Token embedding lookup.
 * Shapes: N rows (B·T flattened), C channels, V vocabulary. Native kernel:
 * native/embedding.c (the same adds in the same order: bit-identical).
 */
import type { Buf } from "../../tensor/index.js";

/** out[n] = wte[tokens[n]] */
export function embeddingForward(a: { out: Buf; tokens: Int32Array; wte: Buf; C: number }): void {
  const { out, tokens, wte, C } = a;
  for (let n = 0; n < tokens.length; n++) {
    const t = tokens[n];
    out.set(wte.subarray(t * C, t * C + C), n * C); // (N, C)
  }
}

/** Differentiates `out[n] = wte[tokens[n]]`: dwte[tokens[n]] += dout[n]. */
export function embeddingBackward(a: { dwte: Buf; dout: Buf; tokens: Int32Array; C: number }): void {
  const { dwte, dout, tokens, C } = a;
  for (let n = 0; n < tokens.length; n++) {
    const o = tokens[n] * C;
    const i = n * C;
    for (let c = 0; c < C; c++) dwte[o + c] += dout[i + c];
  }
}
