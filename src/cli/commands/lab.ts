/** `ftledger lab train RECIPE` and `ftledger lab sample CKPT`. */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { loadKernels } from "../../tensor/index.js";
import { Llama, generateTokens } from "../../model/index.js";
import { formatFormatError, loadCheckpoint } from "../../formats/index.js";
import { findRecipe, latestCheckpoint, runLab } from "../../train/index.js";
import { progressBar } from "../progress.js";

const out = (s: string) => process.stdout.write(s + "\n");
const err = (s: string) => process.stderr.write(`ftledger: ${s}\n`);

export async function labTrain(recipeName: string, o: { out: string; steps?: number; seed: number; every: number; resume: boolean }): Promise<number> {
  const found = findRecipe(recipeName);
  if (!found.ok) {
    err(found.message);
    return 2;
  }
  const { kernels, skipped } = await loadKernels();
  const steps = o.steps ?? found.recipe.defaults.steps;
  out(`lab train ${found.recipe.name} → ${o.out} (kernels: ${kernels.name}, seed ${o.seed}${o.resume ? ", resuming" : `, ${steps} steps`})`);
  for (const s of skipped) out(`  (skipped ${s.name}: ${s.reason})`);
  const bar = progressBar(steps, "training", "loss {loss} | lr {lr}");
  let r;
  try {
    r = await runLab({
      recipe: found.recipe, dir: o.out, kernels, seed: o.seed, steps: o.steps, checkpointEvery: o.every, resume: o.resume,
      onStep: (s) => bar.update(s.step, { loss: s.loss.toFixed(3), lr: s.lr.toExponential(1) }),
    });
  } finally {
    bar.stop();
  }
  if (!r.ok) {
    err(r.message);
    if (r.checkpoint) err(`last good checkpoint: ${r.checkpoint}`);
    return r.error ? 1 : 2;
  }
  const tail = r.losses.slice(-10);
  out(`done: loss ${r.losses[0]?.toFixed(3)} → ${(tail.reduce((a, b) => a + b, 0) / tail.length).toFixed(3)}${r.resumedFrom ? ` (resumed at step ${r.resumedFrom})` : ""}`);
  if (r.note) out(`note: ${r.note}`);
  out(`checkpoint: ${r.checkpoint}`);
  return 0;
}

/** A checkpoint folder, or a run folder (its newest checkpoint). */
async function resolveCheckpoint(path: string): Promise<string> {
  try {
    await stat(join(path, "config.json"));
    return path;
  } catch {
    return (await latestCheckpoint(path)) ?? path;
  }
}

export async function labSample(
  path: string, o: { prompt: string; n: number; maxTokens: number; temperature: number; topK: number; topP: number; seed: number },
): Promise<number> {
  const dir = await resolveCheckpoint(path);
  const ck = await loadCheckpoint(dir);
  if (!ck.ok) {
    err(formatFormatError(ck.error));
    return 2;
  }
  const { kernels } = await loadKernels();
  const model = Llama.f32(ck.value.config, kernels);
  process.stderr.write(`kernels: ${kernels.name}\n`);
  model.params.flat.set(ck.value.params);
  const tok = ck.value.tokenizer;
  const prompt = tok.encode(o.prompt.replace(/\\n/g, "\n"), { allowSpecial: true });
  if (prompt.length === 0) prompt.push(tok.bos);
  const gens = generateTokens(model, Array.from({ length: o.n }, () => prompt), {
    maxTokens: o.maxTokens, temperature: o.temperature, topK: o.topK, topP: o.topP, seed: o.seed, stopTokens: [tok.eos],
  });
  out(`# ${dir} (seed ${o.seed}, temperature ${o.temperature})`);
  gens.forEach((g) => out(tok.decode(prompt, { skipSpecial: true }) + tok.decode(g.tokens, { skipSpecial: true }) + (o.n > 1 ? "\n---" : "")));
  return 0;
}
