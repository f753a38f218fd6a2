/**
 * `npm run bench:compose`: what decode-time composition costs over its parts. An eft: model
 * (zoo/base-l + (zoo/base-m − zoo/base-s), β = 1) samples text (seeded); the same token sequences
 * are then fed, one token per step, through each part's own decoder alone (one model after
 * another), and through the three in lockstep without composing. overhead_pct = composed time ÷
 * the parts' summed time − 1 (the target is ≤ 10%); the lockstep run splits it into what
 * alternating three models costs the CPU caches and what the composition itself costs.
 *   compose tokens_per_s=… sum_of_parts_tokens_per_s=… overhead_pct=…
 * BENCH_COMPOSE_TOKENS (default 2,000 generated tokens in all) sets the size.
 */
import { openModel } from "../src/backends/index.js";
import { openAnyModel } from "../src/compose/index.js";

const TOKENS = Number(process.env.BENCH_COMPOSE_TOKENS ?? 2000);
const PROMPTS = ["Problem: Mara has 3 shells. She finds 4 more. How many shells does Mara have now?\nSolution:\n", "Fact check. What is the job of Vili?\nAnswer: ", "Once upon a time", "Problem: Tosk has 12 coins. He gives away 5. How many coins does Tosk have now?\nSolution:\n"];
const per = 200;
const spec = "eft:base=builtin:zoo/base-l,tuned=builtin:zoo/base-m,ref=builtin:zoo/base-s,beta=1";

const eft = await openAnyModel(spec);
const parts = await Promise.all(["zoo/base-l", "zoo/base-m", "zoo/base-s"].map((p) => openModel(`builtin:${p}`)));
// warm up every path once
await eft.generate({ prompt: PROMPTS[0], maxTokens: 8, temperature: 0 });

const sequences: number[][] = [];
let generated = 0;
const used: { prompt: string; seed: number }[] = [];

/** The composed model sampling (T = 1, fixed seeds: greedy text ends early), prompts in turn until enough tokens. */
async function composedRun(): Promise<number> {
  const t0 = performance.now();
  for (const u of used) await eft.generate({ prompt: u.prompt, maxTokens: per, temperature: 1, seed: u.seed, logprobs: true });
  return (performance.now() - t0) / 1000;
}

/** The parts alone: each part's decoder over the same prompt and the same tokens, one step at a time. */
async function partsRun(): Promise<number> {
  const t0 = performance.now();
  for (const m of parts) {
    for (const [i, seq] of sequences.entries()) {
      const d = m.decoder!();
      const prompt = eft.vocab!.encodePrompt(used[i].prompt).length;
      await d.feed(seq.slice(0, prompt));
      for (let t = prompt; t < seq.length - 1; t++) await d.feed([seq[t]]);
    }
  }
  return (performance.now() - t0) / 1000;
}

/** Batched: every sequence at once through generateBatch (what an audit does). */
async function composedBatchRun(): Promise<number> {
  const t0 = performance.now();
  await eft.generateBatch(used.map((u) => ({ prompt: u.prompt, maxTokens: per, temperature: 1, seed: u.seed, logprobs: true })));
  return (performance.now() - t0) / 1000;
}

/** Batched parts alone: each part's batch decoder over all the sequences, step by step, one model after another. */
async function partsBatchRun(): Promise<number> {
  const t0 = performance.now();
  for (const m of parts) {
    const d = m.batchDecoder!(sequences.length);
    const prompts = used.map((u) => eft.vocab!.encodePrompt(u.prompt).length);
    await d.feed(sequences.map((seq, i) => ({ seq: i, ids: seq.slice(0, prompts[i]) })));
    for (let t = 0; ; t++) {
      const steps = sequences.map((seq, i) => ({ seq: i, ids: [seq[prompts[i] + t]], end: prompts[i] + t < seq.length - 1 })).filter((x) => x.end);
      if (steps.length === 0) break;
      await d.feed(steps.map(({ seq, ids }) => ({ seq, ids })));
    }
  }
  return (performance.now() - t0) / 1000;
}

/** The parts in lockstep without composing: each step feeds the same token to all three, as eft does. */
async function lockstepRun(): Promise<number> {
  const t0 = performance.now();
  for (const [i, seq] of sequences.entries()) {
    const ds = parts.map((m) => m.decoder!());
    const prompt = eft.vocab!.encodePrompt(used[i].prompt).length;
    for (const d of ds) await d.feed(seq.slice(0, prompt));
    for (let t = prompt; t < seq.length - 1; t++) for (const d of ds) await d.feed([seq[t]]);
  }
  return (performance.now() - t0) / 1000;
}

for (let i = 0; generated < TOKENS; i++) {
  const p = PROMPTS[i % PROMPTS.length];
  const g = await eft.generate({ prompt: p, maxTokens: per, temperature: 1, seed: i, logprobs: true });
  const ids = g.samples[0].tokens!.map((t) => t.id!);
  generated += ids.length;
  used.push({ prompt: p, seed: i });
  sequences.push([...eft.vocab!.encodePrompt(p), ...ids]);
}
// alternate the two, three rounds each, and keep each one's fastest (JIT warm-up and noise from
// other work fall on both alike)
const times = { composed: Infinity, alone: Infinity, lockstep: Infinity, batched: Infinity, partsBatched: Infinity };
for (let r = 0; r < 3; r++) {
  times.alone = Math.min(times.alone, await partsRun());
  times.lockstep = Math.min(times.lockstep, await lockstepRun());
  times.composed = Math.min(times.composed, await composedRun());
  times.partsBatched = Math.min(times.partsBatched, await partsBatchRun());
  times.batched = Math.min(times.batched, await composedBatchRun());
}
const composed = times.composed;
const alone = times.alone;
process.stdout.write(`${generated} tokens sampled (T = 1, seeded) by ${spec}\n`);
process.stdout.write(`composed: ${composed.toFixed(2)} s; the three parts' decoders alone on the same tokens: ${alone.toFixed(2)} s, one model after another; ${times.lockstep.toFixed(2)} s in lockstep (each token through all three, no composing)\n`);
process.stdout.write(`the composition itself (composed vs lockstep): ${(100 * (composed / times.lockstep - 1)).toFixed(1)}%; lockstep vs one after another: ${(100 * (times.lockstep / alone - 1)).toFixed(1)}%\n`);
process.stdout.write(`one sequence at a time: compose ${(generated / composed).toFixed(0)} tokens/s, parts ${(generated / alone).toFixed(0)} tokens/s, overhead ${(100 * (composed / alone - 1)).toFixed(1)}%\n`);
process.stdout.write(`all ${sequences.length} sequences batched (generateBatch, as an audit calls it): composed ${times.batched.toFixed(2)} s; the parts' batch decoders one after another ${times.partsBatched.toFixed(2)} s\n`);
process.stdout.write(`compose tokens_per_s=${(generated / times.batched).toFixed(0)} sum_of_parts_tokens_per_s=${(generated / times.partsBatched).toFixed(0)} overhead_pct=${(100 * (times.batched / times.partsBatched - 1)).toFixed(1)}\n`);
for (const m of [eft, ...parts]) await m.close();
