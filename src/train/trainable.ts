/**
 * What an update changes: a "trainable set" of flat parameters, their gradients and the
 * decay mask, as the trainer and AdamW see them. A full fine-tune trains the model's own
 * buffers; a LoRA run (Hu et al. 2021) trains only the attached adapter's flat buffers, so
 * its AdamW moments are adapter-sized and the frozen base is shared, never copied.
 */
import { decayMask, type Llama } from "../model/index.js";
import { stepSeed } from "./batches.js";

export interface Trainable {
  params: Float32Array;
  grads: Float32Array;
  /** 1 where weight decay applies, per element of `params`. */
  decayMask: Uint8Array;
  /** What is trained, for messages and run records ("model", "lora"). */
  kind: "model" | "lora";
  /** Zero `grads` before an update's forward / backward. */
  zeroGrad(): void;
  /** Called before each update's gradients with its 0-based step (LoRA: seeds the dropout masks). */
  beforeStep?(step: number): void;
}

/** Every weight of the model (pre-training, a full fine-tune). */
export function modelTrainable(model: Llama<Float32Array>): Trainable {
  return {
    params: model.params.flat, grads: model.grads.flat, decayMask: decayMask(model.config), kind: "model",
    zeroGrad: () => model.zeroGrad(),
  };
}

/** Salt of the run seed for the adapter's dropout masks. */
const DROPOUT_SALT = 0x6c6f7261; // "lora"

/**
 * Only the attached, trainable LoRA adapter's factors. Weight decay applies to every
 * factor (both are matrices, the lab's rule for decay); dropout masks of update `step`
 * come from stepSeed(stepSeed(seed, DROPOUT_SALT), step), so a resumed run repeats them.
 */
export function loraTrainable(model: Llama<Float32Array>, seed: number): Trainable {
  const lora = model.lora;
  if (!lora || !lora.train) throw new Error("loraTrainable: attach an adapter with { train: true } first (model.attachLora)");
  const dropoutSeed = stepSeed(seed, DROPOUT_SALT);
  return {
    params: lora.params.flat, grads: lora.grads.flat, decayMask: new Uint8Array(lora.params.flat.length).fill(1), kind: "lora",
    zeroGrad: () => lora.grads.flat.fill(0),
    beforeStep: (step) => lora.seedDropout(stepSeed(dropoutSeed, step)),
  };
}
