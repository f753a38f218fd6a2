/**
 * Option parsers, and the options the audit shares with the commands built on it (sweep):
 * items, probes, formats, sampling, the store and the statistics. Each command adds its own
 * model options.
 */
import { type Command, InvalidArgumentError } from "commander";
import { PRESET_NAMES, SUITES } from "../audit/index.js";
import { PROBE_IDS } from "../probes/index.js";
import { eftSpecText, isEftSpec, parseEftSpec } from "../compose/index.js";
import { SPLITS } from "./commands/eval.js";

export function int(name: string, min = 0) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
}

export function num(name: string, ok: (n: number) => boolean, rule: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || !ok(n)) throw new InvalidArgumentError(`${name} must be ${rule}, got "${v}"`);
    return n;
  };
}

/** A comma-separated list, each entry one of `values`. */
export function listOf<T extends string>(name: string, values: readonly T[]) {
  const one = oneOf(name, values);
  return (v: string): T[] => v.split(",").map((x) => one(x.trim()));
}

export function oneOf<T extends string>(name: string, values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`${name} must be one of ${values.join(", ")}, got "${v}"`);
    return v as T;
  };
}

/** `--margin probe.metric=VALUE …`: accumulated into one { "probe.metric": value } record. */
export function marginRule(v: string, previous: Record<string, number> | undefined): Record<string, number> {
  const m = /^([^=\s]+)=([0-9]*\.?[0-9]+)(%?)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`--margin must be probe.metric=VALUE (e.g. knowledge.retention.closed-book=0.05 or =5%), got "${v}"`);
  return { ...(previous ?? {}), [m[1]]: Number(m[2]) / (m[3] ? 100 : 1) };
}

/** The audit settings every audit-running command shares: flag (camelCase) → config key. */
export const ITEM_FLAG_KEYS: Record<string, string> = {
  margin: "margin", baseFormat: "base-format", tunedFormat: "tuned-format", preset: "preset", probes: "probes", suite: "suite", split: "split",
  data: "data", onBadLine: "on-bad-line", n: "n", seed: "seed", samples: "samples", maxTokens: "max-tokens", batchSize: "batch-size",
  world: "world", worldSeed: "world-seed", store: "store", adjust: "adjust", sameFormat: "same-format", preflight: "preflight", map: "map",
};

export function addItemOptions(cmd: Command): Command {
  return cmd
    .option("--margin <rules...>", "the smallest change that matters, per metric: probe.metric=VALUE (e.g. knowledge.retention.closed-book=0.05), replacing the metric's own margin", marginRule)
    .option("--base-format <format>", "raw | chat | template:TEXT-with-{prompt} (default raw)")
    .option("--tuned-format <format>", "raw | chat | template:… (default chat when the tuned model has a chat template, else raw)")
    .option("--probes <ids...>", `probes by id or glob (default all): ${PROBE_IDS.join(", ")}`)
    .option("--preset <name>", `a named probe and suite selection with a compact table: ${PRESET_NAMES.join(", ")} (--probes and --suite given win)`, oneOf("--preset", PRESET_NAMES))
    .option("--suite <names...>", `built-in item suites: ${SUITES.join(", ")} (default arithmetic knowledge reference; none when --data is given)`)
    .option("--split <split>", "the built-in suites' items: id items with their N-1 variants (default), or the n1 or ood split alone", oneOf("--split", SPLITS))
    .option("--data <files...>", "your items: JSONL (docs/PROBES.md: id, prompt, answer, options?, steps?, verifier?, variant_of?, domain?), Parquet, or lm-evaluation-harness --log_samples output (samples_*.jsonl)")
    .option("--map <fields>", "read --data files of another schema: FIELD=SOURCE pairs, e.g. prompt=question,answer=answer,options=choices (dotted paths; an integer answer with options is the gold option's index)")
    .option("--on-bad-line <what>", "a bad --data line: fail (default) or skip", oneOf("--on-bad-line", ["skip", "fail"] as const))
    .option("--n <items>", "items per built-in suite (default 100)", int("--n", 1))
    .option("--seed <n>", "seed of sampling, bootstrap and permutations (default 1)", int("--seed"))
    .option("--samples <k>", "samples per prompt for sampling probes (default 8)", int("--samples", 1))
    .option("--max-tokens <n>", "longest response in tokens (default 160)", int("--max-tokens", 1))
    .option("--batch-size <n>", "requests per backend batch call (default 16)", int("--batch-size", 1))
    .option("--world <file>", "world settings for the built-in suites: JSON or a lab run folder (audit in the world a model was trained in)")
    .option("--world-seed <n>", "world seed (default 1, the zoo's pre-training seed; overrides --world's)", int("--world-seed"))
    .option("--store <dir>", "run store folder: runs.sqlite + cache.sqlite (default .ftledger)")
    .option("--adjust <method>", "multiple-comparison adjustment across the ledger: holm (default) or bh", oneOf("--adjust", ["holm", "bh"] as const))
    .option("--no-same-format", "do not also score the tuned model in the base's prompt format")
    .option("--no-preflight", "skip the pre-flight checks (same weights, a no-op adapter, tokenization or BOS mismatch, no prompt log-probs)");
}

/** `--beta 0,0.5,1`: a list of finite numbers. */
export function betaList(v: string): number[] {
  return v.split(",").map((x) => {
    const n = Number(x.trim());
    if (x.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`--beta must be a comma-separated list of numbers (e.g. 0,0.5,1), got "${v}"`);
    return n;
  });
}

/** Each eft: tuned spec once per β (in the order given); any other tuned spec is an error. */
export function expandBetas(tuned: readonly string[], betas: readonly number[]): { ok: true; value: string[] } | { ok: false; error: string } {
  if (tuned.length === 0) return { ok: false, error: "--beta needs an eft: tuned model (--tuned eft:base=…,tuned=…,ref=…)" };
  const out: string[] = [];
  for (const t of tuned) {
    if (!isEftSpec(t)) return { ok: false, error: `--beta applies to eft: tuned models; ${t} is not one` };
    const p = parseEftSpec(t);
    if (!p.ok) return { ok: false, error: p.error };
    for (const beta of betas) out.push(eftSpecText({ ...p.value, beta }));
  }
  return { ok: true, value: out };
}
