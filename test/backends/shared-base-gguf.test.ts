/**
 * One GGUF base, many LoRA arms (src/backends/llamacpp/shared-model.ts): `gguf:B.gguf` and
 * `gguf:B.gguf+lora:A.gguf…` open one node-llama-cpp model between them (the load counter
 * moves by one), each arm with its adapter in contexts of its own gives the log-probs it
 * gives when opened alone, closing one arm leaves the others working, and the last close
 * disposes the model.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openGgufModel, sharedGgufStats, type LanguageModel } from "../../src/backends/index.js";
import { exportGgufLora, writePeftAdapter } from "../../src/formats/index.js";
import { Llama } from "../../src/model/index.js";
import { createRng } from "../../src/random/index.js";
import { createTsKernels } from "../../src/tensor/index.js";
import { tempDir, unwrap } from "../formats/helpers.js";
import { randomAdapter } from "../formats/lora-fixtures.js";
import { config, exportModel } from "./llamacpp/helpers.js";

const dir = await tempDir("shared-gguf");
const engine = Llama.f32(config, createTsKernels());
engine.initialize(createRng(51), 0.1);
const baseGguf = await exportModel(engine, dir, "base"); // and base-ckpt
const loras: string[] = [];
for (const seed of [52, 53]) {
  const peft = join(dir, `adapter-${seed}`);
  await writePeftAdapter(peft, randomAdapter(config, { seed, r: 2, alpha: 4, std: 0.15, targets: ["q_proj", "v_proj"] }), { baseModel: join(dir, "base-ckpt") });
  const out = join(dir, `lora-${seed}.gguf`);
  unwrap(await exportGgufLora(peft, out, { dtype: "f32" }));
  loras.push(out);
}
// one context of one thread each: a shared 2-core machine
const opts = { parallel: 1, threads: 1, contextSize: 64 };
const arms: (undefined | { lora: { file: string; scale: number } })[] = [undefined, { lora: { file: loras[0], scale: 1 } }, { lora: { file: loras[1], scale: 0.5 } }];
const ids = [1, 40, 41, 42, 50, 60, 61, 70];

async function logprobs(m: LanguageModel): Promise<number[][]> {
  const pos = await m.scoreTokens!(ids, 8);
  return pos.map((p) => [p.logprob, ...p.top.map((t) => t.logprob)]);
}

const open: LanguageModel[] = [];
afterAll(async () => {
  for (const m of open) await m.close();
});

describe("a GGUF base shared by its LoRA arms", () => {
  it("loads the model once for the base and every adapter, each as it scores alone; the last close disposes it", async () => {
    // each arm alone first: open, score, close (one load each)
    const alone: number[][][] = [];
    for (const a of arms) {
      const m = await openGgufModel(baseGguf, { ...opts, ...a });
      alone.push(await logprobs(m));
      await m.close();
    }
    expect(sharedGgufStats().held).toBe(0);
    const before = sharedGgufStats().loads;
    for (const a of arms) open.push(await openGgufModel(baseGguf, { ...opts, ...a }));
    expect(sharedGgufStats().loads - before).toBe(1);
    expect(sharedGgufStats().held).toBe(1);
    for (const [i, m] of open.entries()) expect(await logprobs(m)).toEqual(alone[i]);
    expect(alone[1]).not.toEqual(alone[0]);
    expect(alone[2]).not.toEqual(alone[1]);

    await open[1].close();
    expect(await logprobs(open[0])).toEqual(alone[0]);
    expect(await logprobs(open[2])).toEqual(alone[2]);
    expect(sharedGgufStats().held).toBe(1);
    await open[0].close();
    await open[2].close();
    expect(sharedGgufStats().held).toBe(0);
  }, 60_000);
});
