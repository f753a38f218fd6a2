/**
 * Group Relative Policy Optimisation (Shao et al. 2024, "DeepSeekMath", §4.1.2, eq. 3):
 * for each prompt q, sample a group of G outputs o₁…o_G from the old policy, reward each,
 * and maximise per token t of output i
 *
 *   J = min(ρ·Â, clip(ρ, 1−ε, 1+ε)·Â) − β·KL[π_θ ‖ π_ref],    ρ = π_θ(oᵢₜ) / π_old(oᵢₜ)
 *
 * averaged over each output's tokens (1/|oᵢ|), then over the G·P outputs of the batch.
 *   Â  = (rᵢ − mean(r)) / (std(r) + δ) within the group (eq. 3's outcome supervision);
 *   KL = π_ref/π_θ − log(π_ref/π_θ) − 1, the unbiased, non-negative "k3" estimator
 *        (Schulman 2020, "Approximating KL divergence"), per sampled token.
 *
 * The engine differentiates Σ w·(−log π_θ) / normalizer (Llama.reweight), so each token's
 * weight is w = −∂(−J)/∂log π_θ:
 *   ∂ min(…)/∂log π_θ = ρ·Â when the unclipped term is the minimum, else 0
 *   ∂ KL/∂log π_θ     = 1 − π_ref/π_θ
 *   w = [unclipped]·ρ·Â − β·(1 − π_ref/π_θ)
 */

/** Group-normalised advantages: rewards in consecutive groups of `groupSize`. A group whose rewards are all equal carries no signal (Â = 0). */
export function groupAdvantages(rewards: readonly number[], groupSize: number, delta = 1e-4): Float64Array {
  if (!(groupSize >= 1 && rewards.length % groupSize === 0)) throw new Error(`groupAdvantages: ${rewards.length} rewards do not split into groups of ${groupSize}`);
  const adv = new Float64Array(rewards.length);
  for (let g = 0; g < rewards.length; g += groupSize) {
    let mean = 0;
    for (let i = g; i < g + groupSize; i++) mean += rewards[i];
    mean /= groupSize;
    let ss = 0;
    for (let i = g; i < g + groupSize; i++) ss += (rewards[i] - mean) ** 2;
    // population std, as in the paper's normalisation of the group's rewards
    const std = Math.sqrt(ss / groupSize);
    if (std === 0) continue;
    for (let i = g; i < g + groupSize; i++) adv[i] = (rewards[i] - mean) / (std + delta);
  }
  return adv;
}

export interface GrpoTokenInput {
  /** log π_θ of the sampled token under the policy being trained. */
  logp: number;
  /** log π_old: the policy that sampled the rollout. */
  oldLogp: number;
  /** log π_ref: the frozen reference (the base model). */
  refLogp: number;
  /** Â of the token's output. */
  advantage: number;
}

export interface GrpoTokenTerms {
  /** The weight on −log π_θ that makes backward differentiate −J. */
  weight: number;
  /** −J for this token (before averaging). */
  loss: number;
  /** The k3 KL estimate for this token. */
  kl: number;
  /** Whether the clipped term was the minimum (the token gets no policy gradient). */
  clipped: boolean;
}

export function grpoToken(t: GrpoTokenInput, clipEps: number, beta: number): GrpoTokenTerms {
  const ratio = Math.exp(t.logp - t.oldLogp);
  const clippedRatio = Math.min(Math.max(ratio, 1 - clipEps), 1 + clipEps);
  const unclippedTerm = ratio * t.advantage;
  const clippedTerm = clippedRatio * t.advantage;
  const clipped = clippedTerm < unclippedTerm;
  const refOverPolicy = Math.exp(t.refLogp - t.logp);
  const kl = refOverPolicy - (t.refLogp - t.logp) - 1;
  const surrogate = clipped ? clippedTerm : unclippedTerm;
  return {
    weight: (clipped ? 0 : unclippedTerm) - beta * (1 - refOverPolicy),
    loss: -(surrogate - beta * kl),
    kl,
    clipped,
  };
}
