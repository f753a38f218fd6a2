/**
 * The verification frame: a question and a written answer put back to a model with
 * "Is this answer correct?", answered " Yes" or " No" (Song et al. 2024, "Mind the Gap",
 * arXiv 2412.02674). One definition for the audit's probe (src/probes self-verification.gap)
 * and the lab's data that teach it (src/train data/verification.ts), so what the lab
 * teaches is exactly what the probe measures.
 *
 *   renderedPrompt + answer + VERIFICATION_QUESTION      then " Yes" / " No"
 */

/** Appended to the rendered prompt and the answer, exactly. */
export const VERIFICATION_QUESTION = "\nIs this answer correct?";
export const YES = " Yes";
export const NO = " No";

/** The text " Yes" / " No" are scored after. */
export function verificationPrompt(renderedPrompt: string, sample: string): string {
  return renderedPrompt + sample + VERIFICATION_QUESTION;
}
