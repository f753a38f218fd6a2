/**
 * `ftledger lab eval SPEC [SPEC...]`: what lab models can do on the world — the audit's
 * `lab` preset (src/audit presets.ts) with its compact table: arithmetic accuracy
 * (greedy), knowledge recall by likelihood ranking and by generation, and the solution
 * formats by sampling at temperature 1, each as k/n with a 95% Wilson interval. Every
 * SPEC after the first is paired against the first on the same items by the audit itself
 * (its store, its cache, its ledger statistics), so `lab eval` and `audit` cannot
 * disagree; `ftledger view STORE` shows the full ledger.
 */
import { stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { writeTextAtomic } from "../../formats/index.js";
import { PRESETS } from "../../audit/index.js";
import type { Split } from "../../world/index.js";
import { readWorldFile } from "../world-file.js";
import { type OpenAIFlagValues, settingsOfFlags } from "../openai-options.js";
import { auditCommand, validateAuditConfig } from "./audit.js";

export const SPLITS = ["id", "n1", "ood"] as const satisfies readonly Split[];

/** With the openai: connection flags (--api-key-env, --timeout, --retries, --concurrency). */
export interface EvalOptions extends OpenAIFlagValues {
  n: number;
  /** The world seed (unless --world gives one) and the seed of sampling and the statistics. */
  seed: number;
  split: Split;
  /** Prompt formats: one for every spec, or one per spec. */
  formats: string[];
  /** --world: a settings file or a lab run folder. */
  world?: string;
  samples: number;
  json?: string;
  store: string;
  quiet?: boolean;
}

const err = (s: string) => process.stderr.write(`ftledger lab eval: ${s}\n`);

export async function labEval(specs: string[], o: EvalOptions): Promise<number> {
  // 1. what can be checked before minutes of work: formats, the --json folder, the world
  if (o.formats.length !== 1 && o.formats.length !== specs.length) {
    err(`--format ${o.formats.join(",")}: give one prompt format for all ${specs.length} models or one per model (${specs.length}), comma-separated.`);
    return 2;
  }
  if (o.json !== undefined && !(await stat(dirname(resolve(o.json))).then((s) => s.isDirectory(), () => false))) {
    err(`--json ${o.json}: the folder ${dirname(resolve(o.json))} does not exist; create it or give another path.`);
    return 2;
  }
  let worldSeed = o.seed;
  if (o.world !== undefined) {
    const w = await readWorldFile(o.world);
    if (!w.ok) {
      err(w.message);
      return 2;
    }
    if (w.value.seedGiven) worldSeed = w.value.settings.seed;
  }
  const formatOf = (i: number) => o.formats[o.formats.length === 1 ? 0 : i];

  // 2. the audit's lab preset
  const formats = o.formats.length === 1 ? o.formats[0] : o.formats.join(",");
  const checked = validateAuditConfig({
    base: specs[0], tuned: specs.slice(1), preset: "lab", "base-format": formatOf(0),
    ...(specs.length > 1 ? { "tuned-format": specs.slice(1).map((_, i) => formatOf(i + 1)) } : {}),
    split: o.split, n: o.n, seed: o.seed, "world-seed": worldSeed, samples: o.samples, store: o.store,
    ...(o.world !== undefined ? { world: o.world } : {}), ...settingsOfFlags(o),
  }, "flags");
  if (!checked.ok) {
    err(checked.error.replace(/^flags: /, "--"));
    return 2;
  }
  const config = checked.value;
  process.stdout.write(`lab eval: ${o.n} ${o.split} items per task (world seed ${worldSeed}${o.world !== undefined ? ", world settings from --world" : ""}), prompt format ${formats}\n`);
  return auditCommand(config, {
    json: false, quiet: o.quiet === true, tableOnly: true,
    onResult: async ({ result, measures }) => {
      process.stdout.write(`the full ledger: npx ftledger view ${o.store}\n`);
      if (o.json === undefined) return;
      const doc = {
        tool: "ftledger lab eval",
        preset: PRESETS.lab,
        options: { n: o.n, seed: o.seed, split: o.split, formats: o.formats, samples: o.samples, world: o.world ?? null },
        seeds: { world: worldSeed, sampling: o.seed, statistics: o.seed },
        measures,
        audit: result.json,
      };
      await writeTextAtomic(o.json, JSON.stringify(doc, null, 1) + "\n");
      process.stdout.write(`wrote ${o.json}\n`);
    },
  });
}
