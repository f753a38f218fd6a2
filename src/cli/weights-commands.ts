/**
 * The weights verbs on the command line: `diff`, `merge`, `sweep` (src/weights; the sweep
 * runs the audit at each dose).
 */
import type { Command } from "commander";
import { DIFF_DEFAULTS, MERGE_METHODS, REVERT_GROUPS } from "../weights/index.js";
import { diffCommand, mergeCommand } from "./commands/weights.js";
import { DEFAULT_ALPHAS, sweepCommand } from "./commands/sweep.js";
import { addItemOptions, int, ITEM_FLAG_KEYS, num, oneOf } from "./options.js";
import { InvalidArgumentError } from "commander";

function alphaList(v: string): number[] {
  const xs = v.split(",").map((x) => x.trim());
  return xs.map((x) => {
    const n = Number(x);
    if (x === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`--alpha must be a comma-separated list of numbers (e.g. 0,0.5,1), got "${v}"`);
    return n;
  });
}

export function addWeightsCommands(program: Command): void {
  program
    .command("diff")
    .description(
      "where in the weights a fine-tune changed the model: per tensor ‖Δ‖, ‖Δ‖/‖θ₀‖, cos(θ₀, θ₁), sparsity and the rank of Δ, " +
        "by layer × module; with several tuned models, how much their core regions (top-p% of |Δ|) overlap and how they cluster",
    )
    .argument("<base>", "the base: an HF-layout folder, a lab run folder or zoo/NAME (builtin: prefix allowed)")
    .argument("<tuned...>", "one or more fine-tunes of that base")
    .option("--threshold <x>", `sparsity: entries with |Δ| ≤ x·RMS(θ₀) count as unchanged (default ${DIFF_DEFAULTS.threshold})`, num("--threshold", (n) => n >= 0, "a number ≥ 0"))
    .option("--rank <which>", `which matrices get the spectrum of Δ: auto (up to 4M entries), all, none (default ${DIFF_DEFAULTS.rank})`, oneOf("--rank", ["auto", "all", "none"] as const))
    .option("--rank-k <k>", `singular values per matrix (default ${DIFF_DEFAULTS.rankK}; exact when a matrix side is ≤ k + 10)`, int("--rank-k", 1))
    .option("--core <p>", `core region: the top p of |Δ| per tensor (default ${DIFF_DEFAULTS.coreFraction}, the CPI-FT paper's 1%)`, num("--core", (n) => n > 0 && n <= 1, "in (0, 1]"))
    .option("--seed <n>", "seed of the randomized SVD", int("--seed"))
    .option("--json", "print the full result as JSON", false)
    .option("--report <file>", "also write a self-contained HTML page (layer × module heat map, overlap per layer)")
    .option("--quiet", "no progress on stderr", false)
    .addHelpText("after", `
Examples:
  ftledger diff zoo/base-m runs/sft
  ftledger diff zoo/base-m runs/sft-arith runs/sft-facts --report diff.html   # + core-region overlap
  ftledger diff ./Llama-3.2-1B ./Llama-3.2-1B-tuned --rank none --json > diff.json

Exit codes: 0 ok, 2 bad input (names the file and the tensor).`)
    .action(async (base: string, tuned: string[], o: { threshold?: number; rank?: "auto" | "all" | "none"; rankK?: number; core?: number; seed?: number; json: boolean; report?: string; quiet: boolean }) => {
      process.exitCode = await diffCommand(base, tuned, {
        json: o.json, quiet: o.quiet, ...(o.report !== undefined ? { report: o.report } : {}),
        ...(o.threshold !== undefined ? { threshold: o.threshold } : {}), ...(o.rank ? { rank: o.rank } : {}), ...(o.rankK ? { rankK: o.rankK } : {}),
        ...(o.core !== undefined ? { coreFraction: o.core } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}),
      });
    });

  program
    .command("merge")
    .description(`merge fine-tunes tensor by tensor from a mergekit-style YAML (methods: ${Object.keys(MERGE_METHODS).join(", ")}); writes an HF-layout folder`)
    .argument("<config>", "YAML: merge_method, base_model, models (with parameters), parameters, dtype, seed")
    .requiredOption("--out <dir>", "the merged model's folder (written atomically; an existing folder is replaced only if ftledger wrote it)")
    .option("--max-shard-mb <n>", "split the weights into shards of at most n MiB", int("--max-shard-mb", 1))
    .option("--quiet", "no progress on stderr", false)
    .addHelpText("after", `
Example config (ties.yaml):
  merge_method: ties
  base_model: zoo/base-m
  models:
    - model: runs/sft-arith
      parameters: { weight: 1, density: 0.2 }
    - model: runs/sft-facts
      parameters: { weight: 1, density: 0.2 }
  parameters: { normalize: true }

Examples:
  ftledger merge ties.yaml --out runs/merged
  ftledger audit --base builtin:zoo/base-m --tuned builtin:runs/merged

Exit codes: 0 ok, 2 bad input (config field, file or tensor named; no output folder is left).`)
    .action(async (config: string, o: { out: string; maxShardMb?: number; quiet: boolean }) => {
      process.exitCode = await mergeCommand(config, o);
    });

  const sweep = addItemOptions(
    program
      .command("sweep")
      .description(
        "dose-response of a fine-tune: audit θ₀ + α·Δ at each α against the base (optionally with modules or layers reverted) and " +
          "find the largest α whose capabilities are all non-inferior — how much of the fine-tune you can keep",
      )
      .requiredOption("--base <spec>", "the base (builtin: folder, lab run or zoo/NAME)")
      .requiredOption("--tuned <spec>", "the fine-tune of that base")
      .option("--alpha <list>", `the doses, comma-separated (default ${DEFAULT_ALPHAS.join(",")})`, alphaList)
      .option("--revert <what>", `keep these tensors at θ₀ at every dose: ${REVERT_GROUPS.join(", ")}, layers:A-B (comma-separated)`)
      .option("--models <dir>", "where the dose models are written (default <store>/sweep/<key>; reused by a later sweep)"),
  )
    .option("--significance <a>", "significance level after adjustment (default 0.05)", num("--significance", (n) => n > 0 && n < 1, "in (0, 1)"))
    .option("--json", "print the dose-response as JSON", false)
    .option("--report <file>", "also write the sweep's HTML page here (always written to <store>/reports/<run-id>-sweep.html)")
    .option("--quiet", "no progress on stderr", false)
    .addHelpText("after", `
Examples:
  ftledger sweep --base zoo/base-m --tuned runs/sft --alpha 0,0.5,1 --preset lab --n 100
  ftledger sweep --base zoo/base-m --tuned runs/sft --revert mlp --probes task.accuracy knowledge.retention
  ftledger sweep --base zoo/base-m --tuned runs/sft --revert layers:0-2 --alpha 1

Exit codes: 0 ok, 2 bad input.`)
    .action(async (o: Record<string, unknown>) => {
      const audit: Record<string, unknown> = {};
      for (const [flag, key] of Object.entries(ITEM_FLAG_KEYS)) if (sweep.getOptionValueSource(flag) === "cli") audit[key] = o[flag];
      if (typeof o.significance === "number") audit.alpha = o.significance;
      process.exitCode = await sweepCommand({
        base: o.base as string, tuned: o.tuned as string, alphas: (o.alpha as number[] | undefined) ?? DEFAULT_ALPHAS,
        ...(typeof o.revert === "string" ? { revert: o.revert } : {}), ...(typeof o.models === "string" ? { models: o.models } : {}),
        audit, json: o.json === true, quiet: o.quiet === true, ...(typeof o.report === "string" ? { report: o.report } : {}),
      });
    });
}
