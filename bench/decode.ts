/**
 * `npm run bench:decode`: the builtin engine's sampled decoding on the zoo's models, with the
 * decoding sequences' attention in one call per layer (attentionDecode: the native kernel
 * runs the sequences on both cores) against one call per sequence (the engine before it; the
 * same kernel set with its attentionDecode removed, so the dispatcher falls back to
 * attentionForward per sequence). Both give the same tokens, bit for bit (checked here).
 *
 * Requests: 32 prompts of a world-style question (~190 characters) × 8 samples, temperature
 * 1, seeded, maxTokens 160: one generateBatch, as an audit's merged sampling calls are.
 * Round-robin passes after a warm-up, the median of BENCH_DECODE_REPEATS (default 3). Prints
 *   decode model=<name> one_call_tps=… per_sequence_tps=… speedup=R
 * BENCH_DECODE_MODELS=base-s,base-m picks models (default base-s, base-m, base-l).
 */
import { join } from "node:path";
import { loadavg } from "node:os";
import { openBuiltinModel } from "../src/backends/builtin/index.js";
import type { GenerateRequest, LanguageModel } from "../src/backends/index.js";
import { ZOO_DIR } from "../src/formats/index.js";
import { loadKernels, type Kernels } from "../src/tensor/index.js";

const repeats = Math.max(1, Number(process.env.BENCH_DECODE_REPEATS ?? 3));
const models = (process.env.BENCH_DECODE_MODELS ?? "base-s,base-m,base-l").split(",").filter(Boolean);

const requests: GenerateRequest[] = Array.from({ length: 32 }, (_, i) => ({
  prompt: `Facts: Ana is a baker who lives in Rome. Bo is a pilot from Oslo.\nQ: Tom has ${i + 3} apples and buys ${i + 5} more, then gives away ${i % 4} of them. How many apples does Tom have now?\nA:`,
  maxTokens: 160, temperature: 1, seed: 100 + i, n: 8, logprobs: true,
}));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const loaded = await loadKernels();
  const oneCall = loaded.kernels;
  if (!oneCall.fused.attentionDecode) {
    console.log(`decode: the kernel set ${oneCall.name} has no attentionDecode (${loaded.kernels.description}); nothing to compare`);
    return;
  }
  const perSequence: Kernels = { ...oneCall, fused: { ...oneCall.fused, attentionDecode: undefined } };
  console.log(`decode bench: ${requests.length} prompts × 8 samples, maxTokens 160, kernels ${oneCall.name}; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  for (const name of models) {
    const dir = join(ZOO_DIR, name);
    const paths: [string, LanguageModel][] = [
      ["one call", await openBuiltinModel(dir, { kernels: oneCall })],
      ["per sequence", await openBuiltinModel(dir, { kernels: perSequence })],
    ];
    let reference: string | undefined; // the first answer: every path and pass must give it
    const times = new Map<string, number[]>();
    let tokens = 0;
    for (const [, m] of paths) await m.generateBatch(requests.slice(0, 2)); // warm-up
    for (let r = 0; r < repeats; r++) {
      for (const [label, m] of paths) {
        const t0 = performance.now();
        const out = await m.generateBatch(requests);
        times.set(label, [...(times.get(label) ?? []), (performance.now() - t0) / 1000]);
        tokens = out.reduce((a, g) => a + g.samples.reduce((b, s) => b + (s.tokens?.length ?? 0), 0), 0);
        const text = JSON.stringify(out);
        reference ??= text;
        if (text !== reference) throw new Error(`decode bench: ${name} decoded differently through "${label}"`);
      }
    }
    const tps = (label: string) => tokens / median(times.get(label)!);
    const one = tps("one call"), per = tps("per sequence");
    console.log(`decode model=${name} tokens=${tokens} one_call_tps=${one.toFixed(0)} per_sequence_tps=${per.toFixed(0)} speedup=${(one / per).toFixed(2)}`);
    for (const [, m] of paths) await m.close();
  }
}

await main();
