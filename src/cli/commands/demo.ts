/**
 * `ftledger demo`: the main job on the embedded default. Until the lab and the audit
 * land, it trains a tiny llama on the toy language on this CPU, samples from it, and
 * checks that it prefers grammatical sentences — the engine end to end in under a minute.
 * The agreement check is shown, not gated: the demo exits 0 unless training fails.
 */
import { loadKernels } from "../../tensor/index.js";
import { CharTokenizer, Llama, createRng, generateTokens, scoreContinuations } from "../../model/index.js";
import { recipes, train } from "../../train/index.js";
import { progressBar } from "../progress.js";

export interface DemoOptions {
  steps: number;
  seed: number;
}

export async function demo(opts: DemoOptions): Promise<number> {
  const { kernels, skipped } = await loadKernels();
  const out = (s: string) => process.stdout.write(s + "\n");
  out(`ftledger demo — kernels: ${kernels.name} (${kernels.description})`);
  for (const s of skipped) out(`  (skipped ${s.name}: ${s.reason})`);

  const tok = new CharTokenizer();
  const recipe = recipes.toy;
  const config = recipe.model(tok);
  const model = Llama.f32(config, kernels);
  model.initialize(createRng(opts.seed));
  out(`model: llama, ${model.numParameters.toLocaleString("en")} parameters (dim ${config.dim}, ${config.nLayers} layers, GQA ${config.nHeads}/${config.nKvHeads}); recipe "${recipe.name}", seed ${opts.seed}`);
  const data = recipe.data({ tokenizer: tok, config, batchSize: recipe.defaults.batchSize, seed: opts.seed });
  const bar = progressBar(opts.steps, "training", "loss {loss} | {tps} tok/s");
  let tokens = 0;
  const t0 = performance.now();
  const r = await train(model, data, {
    steps: opts.steps,
    schedule: { ...recipe.defaults, warmupSteps: Math.min(recipe.defaults.warmupSteps, opts.steps), totalSteps: opts.steps },
    onStep: (s) => {
      tokens += s.tokens;
      bar.update(s.step, { loss: s.loss.toFixed(3), tps: Math.round(tokens / ((performance.now() - t0) / 1000)) });
    },
  });
  bar.stop();
  if (!r.ok) {
    process.stderr.write(`ftledger demo: ${r.error.message}\n`);
    return 1;
  }
  const first = r.losses[0];
  const last = r.losses.slice(-10).reduce((a, b) => a + b, 0) / Math.min(10, r.losses.length);
  out(`loss ${first.toFixed(3)} → ${last.toFixed(3)} nats/char (uniform would be ${Math.log(tok.size).toFixed(2)})`);

  out("\nsamples (temperature 0.8):");
  const prompts = ["the ", "two ", "a red ", "some "].map((p) => tok.encode("\n" + p));
  const gens = generateTokens(model, prompts, { maxTokens: 40, temperature: 0.8, seed: opts.seed, shouldStop: (_, t) => t[t.length - 1] === tok.idOf("\n") });
  gens.forEach((g, i) => out(`  ${tok.decode(prompts[i]).trimStart()}${tok.decode(g.tokens).trimEnd()}`));

  out("\nagreement check (log p of the verb given the subject):");
  const pairs: [string, string, string][] = [
    ["\nthe cat ", "sees", "see"],
    ["\ntwo dogs ", "chase", "chases"],
    ["\na small fox ", "likes", "like"],
    ["\nsome birds ", "find", "finds"],
  ];
  let right = 0;
  for (const [ctx, good, bad] of pairs) {
    const [g, b] = scoreContinuations(model, [
      { prompt: tok.encode(ctx), continuation: tok.encode(good + " ") },
      { prompt: tok.encode(ctx), continuation: tok.encode(bad + " ") },
    ]);
    const lg = g.logprobs.reduce((a, x) => a + x, 0);
    const lb = b.logprobs.reduce((a, x) => a + x, 0);
    if (lg > lb) right++;
    out(`  ${ctx.trim()} … "${good}" ${lg.toFixed(2)} vs "${bad}" ${lb.toFixed(2)}  ${lg > lb ? "✓" : "✗"}`);
  }
  out(`${right}/${pairs.length} preferred the grammatical verb.`);
  return 0;
}
