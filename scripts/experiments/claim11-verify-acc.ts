/**
 * Claim 11: how well a model verifies held-out verification rows (src/train data/verification.ts),
 * teacher-forced in the probe's frame: the share of rows where log p(" Yes") > log p(" No") matches
 * the verdict, overall (95% Wilson interval) and per kind (correct rows, and each corruption).
 * Usage: node --import tsx scripts/experiments/claim11-verify-acc.ts WORLD_JSON_FILE CKPT...
 */
import { readFileSync } from "node:fs";
import { verificationExamples, encodeVerification } from "../../src/train/index.js";
import { worldSettingsSchema, YES, NO } from "../../src/world/index.js";
import { CharTokenizer, Llama, scoreContinuations } from "../../src/model/index.js";
import { loadCheckpoint, resolveCheckpointDir } from "../../src/formats/index.js";
import { loadKernels } from "../../src/tensor/index.js";
import { wilson } from "../../src/stats/index.js";

const [worldFile, ...models] = process.argv.slice(2);
const world = worldSettingsSchema.parse(JSON.parse(readFileSync(worldFile, "utf8")));
const tok = new CharTokenizer();
// 200 rows from id items 9000..9199: clear of every sft, replay and prompt range of claim11-self-improve.sh
const rows = verificationExamples({ world, count: 200, offset: 9000, format: "code", salt: "held-out" });
const { kernels } = await loadKernels();
for (const path of models) {
  const ck = await loadCheckpoint(await resolveCheckpointDir(path));
  if (!ck.ok) throw new Error(`${path}: cannot load`);
  const m = Llama.f32(ck.value.config, kernels);
  m.params.flat.set(ck.value.params);
  const reqs = rows.flatMap((e) => {
    const enc = encodeVerification(tok, e);
    const head = Array.from(enc.ids.slice(0, enc.responseStart));
    return [{ prompt: head, continuation: tok.encode(YES) }, { prompt: head, continuation: tok.encode(NO) }];
  });
  const lp: number[] = [];
  for (let i = 0; i < reqs.length; i += 32) for (const s of scoreContinuations(m, reqs.slice(i, i + 32))) lp.push(s.logprobs.reduce((a, b) => a + b, 0));
  const right = rows.map((e, i) => (lp[2 * i] > lp[2 * i + 1]) === (e.verdict === YES));
  const by = new Map<string, [number, number]>();
  rows.forEach((e, i) => {
    const k = e.corruption ?? "correct";
    const c = by.get(k) ?? [0, 0];
    by.set(k, [c[0] + (right[i] ? 1 : 0), c[1] + 1]);
  });
  const hits = right.filter(Boolean).length;
  const { lo, hi } = wilson(hits, rows.length, 0.95);
  process.stdout.write(`${path}: accuracy ${(hits / rows.length).toFixed(3)} [${lo.toFixed(3)}, ${hi.toFixed(3)}] (n ${rows.length}); ${[...by].map(([k, [a, n]]) => `${k} ${a}/${n}`).join(", ")}\n`);
}
