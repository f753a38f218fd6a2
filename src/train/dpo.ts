/**
 * Direct Preference Optimisation (Rafailov et al. 2023, arXiv 2305.18290, eq. 7): for a
 * prompt x with a chosen response y_w and a rejected one y_l,
 *
 *   L = −log σ(β·[(log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x))])
 *
 * with log π(y|x) summed over the response's tokens only, and the implicit rewards
 * r_w = β·Δ_w, r_l = β·Δ_l (§5; Δ = log π − log π_ref). The margin is m = r_w − r_l.
 * Its gradient (eq. 8) is a per-sequence weighted log-likelihood gradient:
 *
 *   ∂L/∂log π(y_w) = −β·σ(−m),   ∂L/∂log π(y_l) = +β·σ(−m)
 *
 * The engine differentiates Σ w·(−log p) / normalizer (Llama.reweight), so each token of
 * y_w gets w = +β·σ(−m) and each token of y_l gets w = −β·σ(−m) (a negative weight, as
 * grpo's negative advantages; a loss mask stays ≥ 0), divided by the pairs in the update.
 */

export interface DpoPairInput {
  /** log π(y_w|x), log π(y_l|x): summed over each response's tokens, policy being trained. */
  policyChosen: number;
  policyRejected: number;
  /** The same under the frozen reference. */
  refChosen: number;
  refRejected: number;
}

export interface DpoPairTerms {
  /** −log σ(m). */
  loss: number;
  /** m = r_w − r_l. */
  margin: number;
  /** r_w = β·Δ_w and r_l = β·Δ_l. */
  chosenReward: number;
  rejectedReward: number;
  /** β·σ(−m): the weight on every token of y_w (and its negative on y_l). */
  weight: number;
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
/** log(1 + eˣ) without overflow. */
const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

export function dpoPair(p: DpoPairInput, beta: number): DpoPairTerms {
  const chosenReward = beta * (p.policyChosen - p.refChosen);
  const rejectedReward = beta * (p.policyRejected - p.refRejected);
  const margin = chosenReward - rejectedReward;
  return { loss: softplus(-margin), margin, chosenReward, rejectedReward, weight: beta * sigmoid(-margin) };
}

/**
 * The k3 estimate of KL(π ‖ π_ref) at one token (Schulman 2020, as grpo.ts):
 * π_ref/π − log(π_ref/π) − 1, non-negative. On the chosen responses it is a proxy (they
 * are the data's, not samples of π): how far the policy moved on the text it is pushed toward.
 */
export function klToken(logp: number, refLogp: number): number {
  const d = refLogp - logp;
  return Math.exp(d) - d - 1;
}
