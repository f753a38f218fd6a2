/**
 * Learning-rate schedule: linear warmup, then cosine decay to a floor
 * (Loshchilov & Hutter 2017, SGDR; the warmup + cosine form used by GPT-3 and nanoGPT).
 *
 *   lr(s) = maxLr · (s+1)/warmup                                          s < warmup
 *   lr(s) = minLr + ½ (maxLr − minLr) (1 + cos(π (s − warmup)/(total − warmup)))  otherwise
 * with s the 0-based step; after `total` steps it stays at minLr.
 */
export interface ScheduleConfig {
  maxLr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

export function cosineWithWarmup(step: number, s: ScheduleConfig): number {
  if (step < s.warmupSteps) return (s.maxLr * (step + 1)) / s.warmupSteps;
  const progress = Math.min(1, (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps));
  return s.minLr + 0.5 * (s.maxLr - s.minLr) * (1 + Math.cos(Math.PI * progress));
}
