/**
 * Gradient clipping by global L2 norm (Pascanu et al. 2013), as
 * torch.nn.utils.clip_grad_norm_: scale = min(1, maxNorm / (‖g‖ + 1e-6)).
 * Returns the pre-clip norm and the scale; the scale is applied inside the AdamW
 * update (no extra pass over the gradients).
 */
export interface ClipResult {
  norm: number;
  scale: number;
}

export function gradNorm(grads: Float32Array | Float64Array): number {
  let ss = 0;
  for (let i = 0; i < grads.length; i++) ss += grads[i] * grads[i];
  return Math.sqrt(ss);
}

export function clipGradNorm(grads: Float32Array | Float64Array, maxNorm: number): ClipResult {
  const norm = gradNorm(grads);
  if (!(maxNorm > 0)) return { norm, scale: 1 };
  return { norm, scale: Math.min(1, maxNorm / (norm + 1e-6)) };
}
