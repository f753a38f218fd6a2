/**
 * Training rows out, for bigger trainers (`ftledger lab data`): the rows a recipe trains on
 * as TRL-compatible JSON objects.
 *
 *   sft   {"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]}
 *         (TRL SFTTrainer's conversational format; the lab's chat rows are this conversation in
 *         its chat template, loss on the assistant's turn)
 *   grpo  {"prompt": …, "verifier": TASK, "answer": …, "id": …}  (GRPOTrainer passes the extra
 *         columns to the reward function; the verifier is the world's task of that name)
 *   dpo   {"prompt", "chosen", "rejected"} (recipes/dpo.ts)
 *
 * Rows are the recipe's own: the same examples, the ones that fit the run's rows, in the
 * order a run with the same seed first visits them (epoch 0 of data/chat.ts epochOrder).
 */
import type { Tokenizer } from "../../model/index.js";
import type { WorldItem } from "../../world/index.js";
import { encodeChat, epochOrder, type ChatExample } from "./chat.js";
import type { Frame } from "./frame.js";

type Row = Record<string, unknown>;

/** sft's examples that fit rows of T positions, in epoch 0's order under the batches' seed. */
export function* chatRows(tok: Tokenizer, examples: readonly ChatExample[], T: number, batchSeed: number): Generator<Row> {
  const kept = examples.filter((e) => encodeChat(tok, e).ids.length - 1 <= T);
  for (const i of epochOrder(kept.length, batchSeed, 0)) {
    yield { messages: [{ role: "user", content: kept[i].prompt }, { role: "assistant", content: kept[i].response }] };
  }
}

/** A prompt as TRL writes it: a plain string in the raw frame, a one-message conversation in the chat frame. */
export const trlPrompt = (frame: Frame, prompt: string): string | Row[] => (frame === "raw" ? prompt : [{ role: "user", content: prompt }]);

/** grpo's prompt pool, in pool order (each rollout draws from it with replacement, seeded per rollout). */
export function* verifierRows(items: readonly WorldItem[], frame: Frame, verifier: string): Generator<Row> {
  for (const it of items) yield { prompt: trlPrompt(frame, it.prompt), verifier, answer: it.answer, id: it.id };
}
