/**
 * `ftledger diff BASE TUNED…` and `ftledger merge CONFIG.yaml --out DIR`: inside the weights.
 * Exit codes: 0 ok, 2 bad input (the message names the file and tensor).
 */
import { resolve } from "node:path";
import { writeTextAtomic } from "../../formats/index.js";
import {
  closeAll, diffLines, diffWeights, formatWeightsError, openAllWeights, readMergeConfig, runMerge, type DiffOptions, type WeightsError,
} from "../../weights/index.js";
import { progressBar, type Progress } from "../progress.js";

function fail(cmd: string, e: WeightsError | string): number {
  process.stderr.write(`ftledger ${cmd}: ${typeof e === "string" ? e : formatWeightsError(e)}\n`);
  return 2;
}

/** A bar over tensors that starts at the first report (so nothing prints for instant jobs). */
function tensorBar(label: string, quiet: boolean) {
  let bar: Progress | undefined;
  return {
    onProgress: (done: number, total: number) => {
      if (quiet) return;
      bar ??= progressBar(total, label, "tensors | ETA {eta_formatted}");
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

export interface DiffFlags extends Omit<DiffOptions, "onProgress"> {
  json: boolean;
  report?: string;
  quiet: boolean;
}

export async function diffCommand(base: string, tuned: string[], o: DiffFlags): Promise<number> {
  const opened = await openAllWeights([base, ...tuned]);
  if (!opened.ok) return fail("diff", opened.error);
  const [b, ...t] = opened.value;
  const bar = tensorBar("diff", o.quiet);
  try {
    const { json: _json, report: _report, quiet: _quiet, ...opts } = o;
    const r = await diffWeights(b, t, { ...opts, onProgress: bar.onProgress });
    bar.stop();
    if (!r.ok) return fail("diff", r.error);
    process.stdout.write(o.json ? `${JSON.stringify(r.value, null, 2)}\n` : `${diffLines(r.value).join("\n")}\n`);
    if (o.report !== undefined) {
      const { renderDiffHtml } = await import("../../report/index.js");
      try {
        await writeTextAtomic(o.report, await renderDiffHtml(r.value), { mkdir: true });
      } catch (e) {
        return fail("diff", `cannot write the report ${o.report} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give --report a writable path`);
      }
      if (!o.quiet) process.stderr.write(`report: ${resolve(o.report)}\n`);
    }
    return 0;
  } finally {
    await closeAll(opened.value);
  }
}

export async function mergeCommand(configFile: string, o: { out: string; maxShardMb?: number; quiet: boolean }): Promise<number> {
  const config = await readMergeConfig(configFile);
  if (!config.ok) return fail("merge", config.error);
  const bar = tensorBar(`merge (${config.value.merge_method})`, o.quiet);
  const r = await runMerge(config.value, {
    configFile, out: o.out, onProgress: bar.onProgress, ...(o.maxShardMb ? { maxShardBytes: o.maxShardMb * 1024 * 1024 } : {}),
  });
  bar.stop();
  if (!r.ok) return fail("merge", r.error);
  for (const n of r.value.notes) process.stderr.write(`note: ${n}\n`);
  process.stdout.write(`wrote ${r.value.dir} (${r.value.method}, ${r.value.tensors} tensors: ${r.value.files.filter((f) => f.endsWith(".safetensors")).join(", ")})\n`);
  process.stdout.write(`audit it: ftledger audit --base builtin:${config.value.base_model ?? config.value.models[0].model} --tuned builtin:${o.out}\n`);
  return 0;
}
