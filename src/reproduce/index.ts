/**
 * The research claims as pre-registered experiments on the lab's model organisms
 * (`ftledger reproduce`): each claim's plan, and the verdict rule that reads its pooled effect.
 */
export { judgeEffect, CLAIM_VERDICTS, MIN_EQUIVALENCE_ITEMS, type ClaimVerdict, type JudgedEffect, type Prediction } from "./verdict.js";
