#!/usr/bin/env node
// Copy a finished pre-training run's final checkpoint into the zoo (docs/ZOO.md):
//   node scripts/ship-zoo.mjs NAME RUN_DIR     e.g. node scripts/ship-zoo.mjs base-m runs/zoo-base-m
// Ships the HF-layout files (no optimizer state) and the run's run.json (recipe, seed,
// config, data hashes), so the model can be traced to the one command that made it.
// Written to a temporary folder and renamed into place: an interrupted copy leaves the
// old zoo entry as it was.
import { copyFile, mkdir, readFile, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";

const FILES = ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];
const [name, run] = process.argv.slice(2);
if (!name || !run) {
  console.error("usage: node scripts/ship-zoo.mjs NAME RUN_DIR   (e.g. base-m runs/zoo-base-m)");
  process.exit(2);
}
const manifest = JSON.parse(await readFile(join(run, "run.json"), "utf8"));
const steps = (await readdir(join(run, "checkpoints"))).filter((n) => /^step-\d+$/.test(n)).sort();
const last = steps.at(-1);
if (!last || Number(last.slice(5)) !== manifest.steps) {
  console.error(`${run}: the run is not finished (newest checkpoint ${last ?? "none"}, planned ${manifest.steps} steps); finish it with lab train --resume first.`);
  process.exit(1);
}
const zoo = new URL("../zoo/", import.meta.url).pathname;
const final = join(zoo, name);
const tmp = `${final}.tmp-${process.pid}`;
await rm(tmp, { recursive: true, force: true });
await mkdir(tmp, { recursive: true });
for (const f of FILES) await copyFile(join(run, "checkpoints", last, f), join(tmp, f));
await copyFile(join(run, "run.json"), join(tmp, "run.json"));
await rm(final, { recursive: true, force: true });
await rename(tmp, final);
console.log(`shipped ${run}/checkpoints/${last} → zoo/${name}`);
