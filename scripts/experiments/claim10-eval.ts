/**
 * Claim 10's task evaluation (claim10-softcot.sh runs it): greedy arithmetic accuracy of one
 * model on the first N id items of a world (items 0..N-1; the recipes train on items from
 * 1000 on), in the chat frame (FRAME=raw: the task's raw frame), scored by the world's exact verifier.
 *
 *   claim10-eval.ts OUT.json WORLD.json N softcot RUN_DIR     a softcot run (backbone + soft thoughts)
 *   claim10-eval.ts OUT.json WORLD.json N plain MODEL_DIR     a plain model (the base, an sft run)
 *
 * Items whose prompt with K (env, default 4) thoughts would fill the context (256) are left
 * out for every model alike (the same N' items); decoding stops at <|end|>, MAX_TOKENS
 * (env, default 160) or the context.
 * Writes { kind, path, n, ids, correct (0/1 per item), accuracy, samples }.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { CharTokenizer, Llama } from "../../src/model/index.js";
import { loadCheckpoint, resolveCheckpointDir } from "../../src/formats/index.js";
import { loadKernels } from "../../src/tensor/index.js";
import { encodeSoftcot, loadSoftcot, plainRespond, softcotRespond } from "../../src/train/index.js";
import { arithmeticTask, worldSettingsSchema, type WorldItem } from "../../src/world/index.js";

const [outFile, worldFile, nArg, kind, path] = process.argv.slice(2);
if (!outFile || !worldFile || !nArg || (kind !== "softcot" && kind !== "plain") || !path) {
  process.stderr.write("usage: claim10-eval.ts OUT.json WORLD.json N softcot|plain PATH\n");
  process.exit(2);
}
const K = Number(process.env.K ?? 4);
const MAX_TOKENS = Number(process.env.MAX_TOKENS ?? 160);
const FRAME = process.env.FRAME === "raw" ? "raw" : "chat";
const world = worldSettingsSchema.parse(JSON.parse(readFileSync(worldFile, "utf8")));
const tok = new CharTokenizer();
const { kernels } = await loadKernels();
const items = arithmeticTask.items({ config: world.arithmetic, seed: world.seed, split: "id", n: Number(nArg) }) as WorldItem<number>[];
const questions = items.map((it) => encodeSoftcot(tok, { id: it.id, prompt: it.prompt, response: "" }, FRAME));
const ctx = 256;
const keep = questions.map((q) => 4 + q.question.length + K < ctx); // the chat frame's 4 tokens, for both frames: the same items

let responses: string[];
if (kind === "softcot") {
  const m = await loadSoftcot(path, kernels, tok);
  if (!m.ok) throw new Error(m.message);
  if (m.value.model.k !== K || m.value.model.frame !== FRAME) throw new Error(`${path} has k = ${m.value.model.k}, frame ${m.value.model.frame}; run with K=${m.value.model.k} FRAME=${m.value.model.frame}`);
  responses = softcotRespond(m.value.model, questions.filter((_, i) => keep[i]), { maxTokens: MAX_TOKENS });
} else {
  const ck = await loadCheckpoint(await resolveCheckpointDir(path));
  if (!ck.ok) throw new Error(`${path}: cannot load (${ck.error.code})`);
  const model = Llama.f32(ck.value.config, kernels);
  model.params.flat.set(ck.value.params);
  responses = plainRespond(model, tok, questions.filter((_, i) => keep[i]), { frame: FRAME, maxTokens: MAX_TOKENS });
}
const kept = items.filter((_, i) => keep[i]);
const correct = kept.map((it, i) => (arithmeticTask.verify(it, responses[i]).correct ? 1 : 0));
const accuracy = correct.reduce((a: number, b: number) => a + b, 0) / correct.length;
writeFileSync(outFile, JSON.stringify({ kind, path, frame: FRAME, n: kept.length, ids: kept.map((it) => it.id), correct, accuracy, samples: responses.slice(0, 5) }) + "\n");
process.stdout.write(`${kind} ${path}: ${(100 * accuracy).toFixed(1)}% of ${kept.length}\n`);
