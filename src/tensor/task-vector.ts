/**
 * A task vector τ = θ − θ_base (Ilharco et al. 2023, "Editing Models with Task Arithmetic",
 * arXiv 2212.04089): what a fine-tune changed, entry by entry. Pure array math, here so that
 * src/weights (merges, diffs) and src/train (the cpi-ft recipe's core regions) share it.
 */

/** τ = θ − θ_base as float32 (what magnitude trimming and core regions rank); `into` is reused when it fits. */
export function taskVector(model: Float32Array, base: Float32Array, into?: Float32Array): Float32Array {
  const out = into && into.length === base.length ? into : new Float32Array(base.length);
  for (let j = 0; j < base.length; j++) out[j] = model[j] - base[j];
  return out;
}
