/**
 * `ftledger audit --base SPEC --tuned SPEC [...]`: the ledger of what a fine-tune gained
 * and what it traded away, on the same items, with paired statistics; resumable; a CI
 * gate with --fail-on. Exit codes: 0 ok, 1 the gate failed, 2 bad input.
 */
import { join, resolve } from "node:path";
import { z } from "zod";
import {
  armMeasures, audit, DEFAULT_SUITES, openRunStore, parseGateRule, PRESET_NAMES, PRESETS, regressionLines, suiteItems, SUITES,
  writeRegressions, deviceLine, type ArmMeasures, type AuditModel, type AuditResult, type GateRule, type RunStore, type SuiteName, formatPreflight, PreflightRefusal, readItemsFile, parseFieldMap, type FieldMap,
} from "../../audit/index.js";
import { DEFAULT_WORLD, type WorldSettings } from "../../world/index.js";
import { formatTextError, loneSurrogateField, parseYamlText, readTextFile, TEXT_LIMITS, writeTextAtomic, type TextRole } from "../../formats/index.js";
import { openRequestCache, withCache, type CachedLanguageModel, type LanguageModel } from "../../backends/index.js";
import { EftTopKModel, openAnyModel as openModel } from "../../compose/index.js";
import { parsePromptFormat, PROBE_IDS, renderer, selectProbes, type Item, type PromptFormat } from "../../probes/index.js";
import { gateText, summaryLines } from "../../report/index.js";
import { ledgerTable, trajectoryTable, useColour } from "../ledger-table.js";
import { presetTable } from "../preset-table.js";
import { progressBar, type Progress } from "../progress.js";
import { readWorldFile } from "../world-file.js";
import { openaiConnection, openaiSettingsShape } from "../openai-options.js";
import { gpuSettingsShape } from "../gpu-option.js";

/** Settings from flags, a config file, or both (flags win). */
export const auditConfigSchema = z.strictObject({
  base: z.string().min(1),
  /** Several = a trajectory; none only with a preset (its table then measures the base alone) or with tuned-seeds. */
  tuned: z.array(z.string().min(1)),
  /** Fine-tunes of one recipe that differ only in the seed: the ledger pools them (seed-ledger.ts). */
  "tuned-seeds": z.array(z.string().min(1)).min(2, "needs at least two seeds").optional(),
  /** Margins by "probe.metric" (the smallest change that matters to you), replacing the metrics' own. */
  margin: z.record(z.string().regex(/^[a-z0-9_.@-]+\.[A-Za-z0-9_.@-]+$/, "keys are probe.metric, e.g. knowledge.retention.closed-book"), z.number().positive()).optional(),
  "base-format": z.string().default("raw"),
  /** One for every tuned model, or one each. Default: chat when the tuned model has a chat template, else raw. */
  "tuned-format": z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  /** A named probe and suite selection with a compact table (presets.ts); probes and suite given here win. */
  preset: z.enum(PRESET_NAMES).optional(),
  /** Default: every probe (they skip items they do not apply to), or the preset's. */
  probes: z.array(z.string()).optional(),
  /** Default: arithmetic, knowledge, reference (what the zoo was pre-trained on), or the preset's. */
  suite: z.array(z.enum(SUITES)).optional(),
  /** The built-in suites' split: by default id items with their N-1 variants; n1 or ood = that split's items alone. */
  split: z.enum(["id", "n1", "ood"]).optional(),
  data: z.array(z.string()).default([]),
  "on-bad-line": z.enum(["skip", "fail"]).default("fail"),
  /** 100 items per suite: enough to see a 15-point change in accuracy, small enough for minutes on 2 cores. */
  n: z.number().int().min(1).default(100),
  seed: z.number().int().min(0).default(1),
  /** 8 samples per prompt: the sampling probes' k (format collapse, diversity, self-verification). */
  samples: z.number().int().min(1).default(8),
  /** 160 tokens: the longest in-distribution solution of the lab world is about 120 characters. */
  "max-tokens": z.number().int().min(1).default(160),
  "batch-size": z.number().int().min(1).default(16),
  world: z.string().optional(),
  "world-seed": z.number().int().min(0).optional(),
  store: z.string().default(".ftledger"),
  "fail-on": z.array(z.string()).default([]),
  adjust: z.enum(["holm", "bh"]).default("holm"),
  alpha: z.number().gt(0).lt(1).default(0.05),
  "same-format": z.boolean().default(true),
  /** --data files of another schema: "prompt=question,answer=target,…" (src/audit/dataset-sources.ts). */
  map: z.string().min(1).optional(),
  /** true: the pre-flight runs before the probes (src/audit/preflight.ts). */
  preflight: z.boolean().default(true),
  "export-regressions": z.string().optional(),
  /** Also write the HTML report here (it is always written to <store>/reports/<run-id>.html). */
  report: z.string().min(1).optional(),
  /** Write the ledger as Markdown here (for a pull-request comment). */
  markdown: z.string().min(1).optional(),
  /** How to talk to openai: servers: api-key-env, timeout (seconds), retries, concurrency (openai-options.ts). */
  ...openaiSettingsShape,
  /** gguf: models' device (gpu-option.ts): off (the CPU), auto, cuda, vulkan. */
  ...gpuSettingsShape,
}).superRefine((c, ctx) => {
  if (c.tuned.length === 0 && c.preset === undefined && c["tuned-seeds"] === undefined) ctx.addIssue({ code: "custom", path: ["tuned"], message: "needs at least one tuned model" });
  if (c.tuned.length > 0 && c["tuned-seeds"] !== undefined) ctx.addIssue({ code: "custom", path: ["tuned-seeds"], message: "give either tuned (models compared one by one) or tuned-seeds (fine-tunes of one recipe, pooled), not both" });
  const tf = c["tuned-format"];
  if (Array.isArray(tf) && tf.length !== 1 && tf.length !== c.tuned.length) {
    ctx.addIssue({ code: "custom", path: ["tuned-format"], message: `give one format for every tuned model or one each (${c.tuned.length}), got ${tf.length}` });
  }
});
export type AuditConfig = z.infer<typeof auditConfigSchema>;

function fail(message: string): number {
  process.stderr.write(`ftledger audit: ${message}\n`);
  return 2;
}

/** The config file's settings (YAML or JSON), for merging under the flags. */
export async function readAuditConfig(path: string): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false; error: string }> {
  const read = await readTextFile(path, { limit: TEXT_LIMITS.settings });
  if (!read.ok) return { ok: false, error: formatTextError(read.error, { flag: "--config", kind: "a YAML or JSON file", holds: "a mapping of settings (base:, tuned:, …)" }) };
  const text = read.value;
  const parsed = parseYamlText(text);
  if (!parsed.ok) return { ok: false, error: `--config ${path}${parsed.line === undefined ? "" : `:${parsed.line}`}: not valid YAML (${parsed.message}); fix it, or write the settings as JSON` };
  const v = parsed.value;
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { ok: false, error: `--config ${path}: expected a mapping of settings (base:, tuned:, …)` };
  const field = loneSurrogateField(v); // YAML's "\ud800" escape, like JSON's
  if (field !== null) return { ok: false, error: formatTextError({ code: "lone_surrogate", file: path, field }, { flag: "--config" }) };
  return { ok: true, value: v as Record<string, unknown> };
}

export function validateAuditConfig(raw: Record<string, unknown>, where: string): { ok: true; value: AuditConfig } | { ok: false; error: string } {
  const r = auditConfigSchema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const is = r.error.issues[0];
  if (is.code === "unrecognized_keys") return { ok: false, error: `${where}: unknown setting(s) ${is.keys.join(", ")}; see ftledger audit --help` };
  return { ok: false, error: `${where}: ${is.path.join(".") || "(settings)"}: ${is.message}` };
}

async function worldOf(c: AuditConfig): Promise<{ ok: true; value: WorldSettings } | { ok: false; error: string }> {
  let world = DEFAULT_WORLD;
  if (c.world !== undefined) {
    const r = await readWorldFile(c.world);
    if (!r.ok) return { ok: false, error: r.message };
    world = r.value.settings;
  }
  if (c["world-seed"] !== undefined) world = { ...world, seed: c["world-seed"] };
  return { ok: true, value: world };
}

/** How --data files are named in errors (a whole-file error: --on-bad-line cannot skip it). */
const DATA_FILE: TextRole = { flag: "--data", kind: "a .jsonl file", holds: "one JSON item per line (docs/PROBES.md, \"Your own items\")" };

async function itemsOf(c: AuditConfig, world: WorldSettings): Promise<{ ok: true; items: Item[]; sources: string[]; notes: string[] } | { ok: false; error: string }> {
  const preset = c.preset !== undefined ? PRESETS[c.preset] : undefined;
  const suites: SuiteName[] = c.suite ?? (c.data.length > 0 ? [] : [...(preset?.suites ?? DEFAULT_SUITES)]);
  const items: Item[] = [];
  const sources: string[] = [];
  const notes: string[] = [];
  for (const s of suites) {
    items.push(...suiteItems(s, world, c.n, c.split !== undefined ? { split: c.split } : {}));
    sources.push(`suite:${s}(n=${c.n},world-seed=${world.seed}${c.split !== undefined ? `,split=${c.split}` : ""})`);
  }
  let map: FieldMap | undefined;
  if (c.map !== undefined) {
    const m = parseFieldMap(c.map);
    if (!m.ok) return { ok: false, error: m.error };
    if (c.data.length === 0) return { ok: false, error: "--map reads --data files; give --data too" };
    map = m.value;
  }
  for (const path of c.data) {
    const r = await readItemsFile(path, { onBadLine: c["on-bad-line"], ...(map ? { map } : {}) });
    if (!r.ok && r.kind === "file") return { ok: false, error: formatTextError(r.error, DATA_FILE) };
    if (!r.ok) {
      const shown = r.errors.slice(0, 10).map((e) => `  ${e.message}`).join("\n");
      const more = r.errors.length > 10 ? `\n  … and ${r.errors.length - 10} more` : "";
      return { ok: false, error: `${path}: ${r.errors.length} bad line(s):\n${shown}${more}\nFix them, or pass --on-bad-line skip to leave them out.` };
    }
    for (const s of r.skipped) notes.push(`skipped ${s.message}`);
    items.push(...r.items);
    sources.push(`data:${resolve(path)}`);
  }
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.id)) return { ok: false, error: `item id "${it.id}" appears twice across the suites and --data files; ids must be unique within an audit` };
    seen.add(it.id);
  }
  if (items.length === 0) return { ok: false, error: "no items: give --suite or --data" };
  return { ok: true, items, sources, notes };
}

/** The tuned model's default format: its chat template when it has one, else raw. */
function defaultTunedFormat(model: LanguageModel): PromptFormat {
  try {
    renderer(model, { kind: "chat" })("x");
    return { kind: "chat" };
  } catch {
    return { kind: "raw" };
  }
}

function promptFormatOf(text: string | undefined, model: LanguageModel, flag: string): PromptFormat | string {
  if (text === undefined) return defaultTunedFormat(model);
  const r = parsePromptFormat(text);
  if (!r.ok) return `${flag}: ${r.error}`;
  try {
    renderer(model, r.value)("x");
  } catch (e) {
    return `${flag} ${text}: ${(e as Error).message}`;
  }
  return r.value;
}

/**
 * The run's HTML report, always at <store>/reports/<run-id>.html, plus --report and
 * --markdown; each written atomically. The report module (Vega) is loaded only here.
 */
async function writeReports(c: AuditConfig, store: RunStore, runId: string): Promise<{ ok: true; lines: string[] } | { ok: false; error: string }> {
  const { reportInputFromStore, renderHtml, renderMarkdown } = await import("../../report/index.js");
  const input = reportInputFromStore(store, runId);
  if (!input) return { ok: false, error: `run ${runId}: no stored result to report on; run the audit again` };
  const html = await renderHtml(input);
  const targets: { path: string; text: string; flag: string }[] = [{ path: join(c.store, "reports", `${runId}.html`), text: html, flag: "--store" }];
  if (c.report !== undefined) targets.push({ path: c.report, text: html, flag: "--report" });
  if (c.markdown !== undefined) targets.push({ path: c.markdown, text: renderMarkdown(input), flag: "--markdown" });
  for (const t of targets) {
    try {
      await writeTextAtomic(t.path, t.text, { mkdir: true });
    } catch (e) {
      return { ok: false, error: `cannot write the report ${t.path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give ${t.flag} a writable path` };
    }
  }
  return { ok: true, lines: targets.map((t) => `${t.flag === "--markdown" ? "markdown" : "report"}: ${resolve(t.path)}`) };
}

/** The ledgers, the trajectory (several tuned models), the record and call counts, and the gate. */
function ledgerLines(c: AuditConfig, result: AuditResult, gated: boolean): string[] {
  const out: string[] = [];
  const pooled = result.json.pooled;
  if (pooled) {
    out.push("", `the answer over ${pooled.spec} (base ${c.base}; run ${result.run.runId})`, ...summaryLines(pooled));
    out.push("", `ledger over ${pooled.spec}`, `  base ${c.base}   (run ${result.run.runId}; Δ = the mean over seeds; intervals resample seeds and items; α = ${pooled.alpha}, ${pooled.adjust} adjustment)`, ...ledgerTable(pooled, useColour()));
    out.push("", "each seed against the base:", ...trajectoryTable(result.json.ledgers));
  }
  for (const l of pooled ? [] : result.json.ledgers) {
    out.push("", `the answer: ${c.base} → ${l.spec}   (run ${result.run.runId})`, ...summaryLines(l));
    out.push("", `ledger: ${c.base} → ${l.spec}   (run ${result.run.runId}${result.run.resumed ? ", resumed" : ""}; α = ${l.alpha}, ${l.adjust} adjustment)`, ...ledgerTable(l, useColour()));
  }
  if (!pooled && result.json.ledgers.length > 1) out.push("", "trajectory:", ...trajectoryTable(result.json.ledgers));
  // said again beside the ledger: a warning scrolled away with the progress bars is easy to miss
  for (const f of result.json.preflight ?? []) out.push(`pre-flight warning (${f.code}): ${f.message}`);
  out.push("", `records: ${result.json.records.computed} computed now, ${result.json.records.stored} stored; model calls: ${Object.entries(result.json.calls).map(([k, v]) => `${k} ${v.model} (+${v.cached} cached)`).join(", ")}`);
  const gate = gateText(result.json);
  if (gated && gate !== undefined) out.push(gate);
  return out;
}

export interface AuditCliFlags {
  json: boolean;
  quiet: boolean;
  /** Print the preset's table only, not the ledger (`ftledger lab eval`). */
  tableOnly?: boolean;
  /** false: print nothing on stdout (a caller such as sweep prints its own view of the result). */
  print?: boolean;
  /** Called with the result once it is printed, before the reports are written (`lab eval --json` writes its file). */
  onResult?: (r: { result: AuditResult; measures?: ArmMeasures[]; items: readonly Item[]; store: RunStore }) => Promise<void>;
}

export async function auditCommand(c: AuditConfig, flags: AuditCliFlags): Promise<number> {
  const say = (s: string) => {
    if (!flags.quiet) process.stderr.write(`${s}\n`);
  };
  const preset = c.preset !== undefined ? PRESETS[c.preset] : undefined;
  const probes = selectProbes(c.probes ?? preset?.probes ?? PROBE_IDS);
  if (!probes.ok) return fail(probes.error);
  const rules: GateRule[] = [];
  for (const text of c["fail-on"]) {
    const r = parseGateRule(text);
    if (!r.ok) return fail(r.error);
    rules.push(r.value);
  }
  const world = await worldOf(c);
  if (!world.ok) return fail(world.error);
  const items = await itemsOf(c, world.value);
  if (!items.ok) return fail(items.error);
  for (const n of items.notes) say(n);

  let store;
  try {
    store = openRunStore(c.store);
  } catch (e) {
    return fail((e as Error).message);
  }
  const cache = openRequestCache(join(c.store, "cache.sqlite"));
  const opened: CachedLanguageModel[] = [];
  // compositions over servers' top-k lists: said beside the ledger, with how approximate they were
  const approximate: { spec: string; model: EftTopKModel }[] = [];
  const devices = new Map<LanguageModel, string>();
  try {
    const open = async (spec: string): Promise<CachedLanguageModel | string> => {
      // a real model takes seconds to load (a 100M GGUF: ~13 s, its load check included): say so before, and how long after
      const t0 = performance.now();
      say(`loading ${spec} …`);
      try {
        const raw = await openModel(spec, { openai: openaiConnection(c), ...(c.gpu !== undefined ? { gpu: c.gpu } : {}) });
        say(`loaded ${spec} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        if (raw instanceof EftTopKModel) approximate.push({ spec, model: raw });
        const m = withCache(raw, cache);
        const device = (raw as { device?: string }).device;
        if (device !== undefined) devices.set(m, device); // the cache wrapper does not carry it
        opened.push(m);
        return m;
      } catch (e) {
        return `${spec}: ${(e as Error).message}`;
      }
    };
    const baseModel = await open(c.base);
    if (typeof baseModel === "string") return fail(baseModel);
    const baseFormat = promptFormatOf(c["base-format"], baseModel, "--base-format");
    if (typeof baseFormat === "string") return fail(baseFormat);
    const deviceOf = (m: LanguageModel) => (devices.has(m) ? { device: devices.get(m) as string } : {});
    const base: AuditModel = { spec: c.base, model: baseModel, format: baseFormat, ...deviceOf(baseModel) };
    const tuned: AuditModel[] = [];
    const tunedFormats = c["tuned-format"];
    const seeds = c["tuned-seeds"] !== undefined;
    for (const [i, spec] of (c["tuned-seeds"] ?? c.tuned).entries()) {
      const m = await open(spec);
      if (typeof m === "string") return fail(m);
      const f = promptFormatOf(Array.isArray(tunedFormats) ? tunedFormats[tunedFormats.length === 1 ? 0 : i] : tunedFormats, m, "--tuned-format");
      if (typeof f === "string") return fail(f);
      tuned.push({ spec, model: m, format: f, ...deviceOf(m) });
    }
    if (tuned.length > 0) say(`auditing ${c.base} (${c["base-format"]}) against ${tuned.map((t) => `${t.spec} (${t.format.kind})`).join(", ")}`);
    else say(`measuring ${c.base} (${c["base-format"]})`);
    say(`${items.items.length} items from ${items.sources.join(", ")}; ${probes.value.length} probes; store ${resolve(c.store)}`);
    say(deviceLine(base, tuned));

    let bar: Progress | undefined;
    let barKey = "";
    const result = await audit({
      base, tuned, probes: probes.value, items: items.items, sources: items.sources,
      settings: {
        seed: c.seed, samples: c.samples, maxTokens: c["max-tokens"], batchSize: c["batch-size"], sameFormat: c["same-format"],
        ...(preset ? { sameFormatProbes: [...preset.sameFormatProbes] } : {}),
      },
      store, adjust: c.adjust === "bh" ? "benjamini-hochberg" : "holm", alpha: c.alpha, gate: rules, seeds,
      ...(c.margin ? { margins: c.margin } : {}),
      preflight: c.preflight,
      onPreflight: (findings) => {
        if (findings.length > 0) say(formatPreflight(findings));
      },
      onProgress: (p) => {
        if (flags.quiet) return;
        const key = `${p.arm} ${p.probe}`;
        if (key !== barKey) {
          bar?.stop();
          barKey = key;
          bar = progressBar(p.total, `${p.arm.padEnd(10)} ${p.probe.padEnd(28)}`, `${p.resumed > 0 ? `(${p.resumed} resumed) ` : ""}| ETA {eta_formatted}`, "end");
        }
        bar?.update(p.done);
      },
      onRecordsDone: () => bar?.stop(),
      calls: () => Object.fromEntries(opened.map((m, i) => [i === 0 ? "base" : `tuned${i}`, { model: m.stats.misses + m.stats.bypassed, cached: m.stats.hits }])),
    }).catch((e: unknown) => {
      if (e instanceof PreflightRefusal) return e;
      throw e;
    });
    if (result instanceof PreflightRefusal) return fail(`${result.message}\n(--no-preflight runs the audit anyway)`);
    const measures = preset ? armMeasures(store, result.run.runId, result.run.arms, items.items, preset) : undefined;
    if (flags.print === false) {
      // the caller prints
    } else if (flags.json) {
      process.stdout.write(`${JSON.stringify(result.json, null, 2)}\n`);
    } else {
      const out: string[] = [];
      if (preset && measures) out.push(...presetTable({ preset, result: result.json, measures, samples: c.samples }));
      if (!flags.tableOnly) out.push(...ledgerLines(c, result, rules.length > 0));
      for (const a of approximate) out.push(`note: ${a.spec}: ${a.model.describe()}`);
      process.stdout.write(`${out.join("\n")}\n`);
    }
    await flags.onResult?.({ result, ...(measures ? { measures } : {}), items: items.items, store });
    const reports = await writeReports(c, store, result.run.runId);
    if (!reports.ok) return fail(reports.error);
    for (const line of reports.lines) say(line);
    // after the ledger is out: a path that cannot be written must not cost the user the result
    if (c["export-regressions"]) {
      const lines = regressionLines(result.run.runId, result.ledgers, items.items);
      try {
        await writeRegressions(c["export-regressions"], lines);
      } catch (e) {
        return fail((e as Error).message);
      }
      say(`wrote ${lines.length} lost item(s) to ${c["export-regressions"]}`);
    }
    return result.gate.passed ? 0 : 1;
  } finally {
    for (const m of opened) await m.close();
    cache.close();
    store.close();
  }
}
