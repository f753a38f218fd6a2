/**
 * A rollout for on-policy training: k sampled completions per prompt from the current
 * policy, each judged by the world's verifier, packed into one (S, T) batch of
 * prompt + completion rows (S = prompts · k, right-padded) whose completion targets are
 * the tokens that carry weight. A completion that ended with a stop token keeps it as
 * its last target, so the policy is also trained on when to stop.
 *
 * Prompts are framed as in data/frame.ts ("raw": the pre-training frame, "chat": sft's).
 */
import { generateTokens, type Tokenizer, type Llama, type TrainBatch } from "../model/index.js";
import type { Task, WorldItem } from "../world/index.js";
import { frameEnd, framePrompt, type Frame } from "./data/frame.js";

export interface RolloutOptions {
  /** Samples per prompt (the group size G). */
  k: number;
  temperature: number;
  maxTokens: number;
  seed: number;
  frame: Frame;
}

export interface Rollout {
  batch: TrainBatch;
  /** Per row: the flat indices [start, end) of its completion's targets in the batch. */
  spans: { start: number; end: number }[];
  /** Per row: the item it answers, the completion text, the verifier's reward (1 correct, 0 not). */
  items: WorldItem[];
  texts: string[];
  rewards: number[];
  /** Completions cut short by maxTokens or the context (no stop token). */
  truncated: number;
}

export function rollout(model: Llama<Float32Array>, tok: Tokenizer, task: Task, items: WorldItem[], o: RolloutOptions): Rollout {
  const prompts: number[][] = [];
  const rowItems: WorldItem[] = [];
  items.forEach((it) => {
    const ids = framePrompt(tok, o.frame, it.prompt);
    for (let j = 0; j < o.k; j++) {
      prompts.push(ids);
      rowItems.push(it);
    }
  });
  const stopId = frameEnd(tok, o.frame);
  const gens = generateTokens(model, prompts, { maxTokens: o.maxTokens, temperature: o.temperature, seed: o.seed, stopTokens: [stopId] });
  const rows = gens.map((g, r) => [...prompts[r], ...g.tokens, ...(g.finish === "stop" ? [stopId] : [])]);
  // T rounded up to a multiple of 32 (within the context): the model's activation pool
  // is sized by (B, T), so a handful of sizes serve every rollout of a run
  const longest = Math.max(...rows.map((row) => row.length)) - 1;
  const T = Math.min(model.config.contextLength, Math.ceil(longest / 32) * 32);
  const S = rows.length;
  const batch: TrainBatch = { B: S, T, tokens: new Int32Array(S * T).fill(tok.pad), targets: new Int32Array(S * T).fill(tok.pad), mask: null };
  const spans = rows.map((row, r) => {
    for (let t = 0; t + 1 < row.length; t++) {
      batch.tokens[r * T + t] = row[t];
      batch.targets[r * T + t] = row[t + 1];
    }
    // the first completion token is predicted at the prompt's last position
    return { start: r * T + prompts[r].length - 1, end: r * T + row.length - 1 };
  });
  const texts = gens.map((g) => tok.decode(g.tokens, { skipSpecial: true }));
  const rewards = texts.map((text, r) => (task.verify(rowItems[r], text).correct ? 1 : 0));
  return { batch, spans, items: rowItems, texts, rewards, truncated: gens.filter((g) => g.finish !== "stop").length };
}

/** Rows [start, start + count) of a batch, as a batch (views, no copy). */
export function batchRows(b: TrainBatch, start: number, count: number): TrainBatch {
  const lo = start * b.T;
  const hi = (start + count) * b.T;
  return {
    B: count, T: b.T, tokens: b.tokens.subarray(lo, hi), targets: b.targets.subarray(lo, hi),
    mask: b.mask ? b.mask.subarray(lo, hi) : null, ...(b.positions ? { positions: b.positions.subarray(lo, hi) } : {}),
  };
}
