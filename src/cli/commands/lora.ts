/**
 * `ftledger lora merge BASE ADAPTER_DIR --out DIR [--scale s]`: a PEFT LoRA adapter merged
 * into its base (W ← W + s·(alpha/r)·B A, src/weights/lora-merge.ts) as a full HF-layout
 * folder, written like `ftledger merge` writes its output.
 * Exit codes: 0 ok, 2 bad input (the message names the file, the field or tensor).
 */
import type { Command } from "commander";
import { formatFormatError, loadModelConfig, readPeftAdapter, resolveAdapterDir } from "../../formats/index.js";
import { closeAll, formatWeightsError, openModelWeights, writeLoraMerged } from "../../weights/index.js";
import { int, num } from "../options.js";
import { progressBar, type Progress } from "../progress.js";

export interface LoraMergeFlags {
  out: string;
  scale: number;
  maxShardMb?: number;
  quiet: boolean;
}

function fail(message: string): number {
  process.stderr.write(`ftledger lora merge: ${message}\n`);
  return 2;
}

export async function loraMergeCommand(base: string, adapterGiven: string, o: LoraMergeFlags): Promise<number> {
  const adapterDir = await resolveAdapterDir(adapterGiven);
  const opened = await openModelWeights(base);
  if (!opened.ok) return fail(formatWeightsError(opened.error));
  const weights = opened.value;
  try {
    const config = await loadModelConfig(weights.dir);
    if (!config.ok) return fail(formatFormatError(config.error));
    const adapter = await readPeftAdapter(adapterDir, config.value);
    if (!adapter.ok) return fail(formatFormatError(adapter.error));
    let bar: Progress | undefined;
    const r = await writeLoraMerged({
      base: weights, adapter: adapter.value, adapterDir, scale: o.scale, out: o.out,
      ...(o.maxShardMb ? { maxShardBytes: o.maxShardMb * 1024 * 1024 } : {}),
      onProgress: (done, total) => {
        if (o.quiet) return;
        bar ??= progressBar(total, "lora merge", "tensors | ETA {eta_formatted}");
        bar.update(done);
      },
    });
    bar?.stop();
    if (!r.ok) return fail(formatWeightsError(r.error));
    const { r: rank, alpha } = adapter.value.config;
    process.stdout.write(`wrote ${r.value.dir} (${r.value.merged} weights + ${o.scale}·(${alpha}/${rank})·B A: ${r.value.files.filter((f) => f.endsWith(".safetensors")).join(", ")})\n`);
    process.stdout.write(`audit it: ftledger audit --base builtin:${base} --tuned builtin:${o.out}\n`);
    return 0;
  } finally {
    await closeAll([weights]);
  }
}

export function addLoraCommands(program: Command): void {
  const lora = program.command("lora").description("LoRA adapters (PEFT folders): merge into the base");
  lora
    .command("merge")
    .description("merge a PEFT LoRA adapter into its base: W ← W + s·(lora_alpha/r)·B A on every targeted weight; writes an HF-layout folder")
    .argument("<base>", "the base the adapter was trained on: an HF-layout folder, a lab run folder or zoo/NAME")
    .argument("<adapter>", "PEFT adapter folder (adapter_config.json + adapter_model.safetensors), or a lab LoRA run (its newest adapter)")
    .requiredOption("--out <dir>", "the merged model's folder (written atomically; an existing folder is replaced only if ftledger wrote it)")
    .option("--scale <s>", "multiplier of the adapter's alpha/r (1 = as trained, 0 = the base)", num("--scale", Number.isFinite, "a finite number"), 1)
    .option("--max-shard-mb <n>", "split the weights into shards of at most n MiB", int("--max-shard-mb", 1))
    .option("--quiet", "no progress on stderr", false)
    .addHelpText("after", `
Examples:
  ftledger lora merge zoo/base-s runs/lora --out runs/lora-merged   # a LoRA run: its newest checkpoint's adapter
  ftledger lora merge ./Llama-3.2-1B ./my-peft-adapter --out ./merged --scale 0.5
  ftledger audit --base builtin:zoo/base-s --tuned builtin:runs/lora-merged

Exit codes: 0 ok, 2 bad input (file, field or tensor named; no output folder is left).`)
    .action(async (base: string, adapter: string, o: LoraMergeFlags) => {
      process.exitCode = await loraMergeCommand(base, adapter, o);
    });
}
