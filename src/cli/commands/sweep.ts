/**
 * `ftledger sweep --base B --tuned T --alpha 0,0.25,…`: the dose-response of a fine-tune.
 * Each dose α is the model θ₀ + α·Δ (optionally with modules or layers reverted to θ₀),
 * written once as an HF-layout folder under the store and audited against the base like any
 * tuned model, in one audit run (so an interrupted sweep resumes from the store and reuses
 * the folders already written). The answer: each row's Δ against α, and the largest α whose
 * capabilities are all non-inferior — "keep this much of the fine-tune".
 */
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { doseResponse, type AuditResult, type DoseResponse } from "../../audit/index.js";
import { readFile } from "node:fs/promises";
import { writeTextAtomic } from "../../formats/index.js";
import { sha256Text } from "../../random/index.js";
import {
  closeAll, diffWeights, formatWeightsError, NO_REVERT, type DiffResult, openAllWeights, parseRevert, revertText, sharedTensors, WEIGHTS_MANIFEST, writeScaledModel, type ModelWeights, type RevertSpec,
} from "../../weights/index.js";
import { auditCommand, validateAuditConfig } from "./audit.js";
import { deltaText } from "../../report/index.js";

export const DEFAULT_ALPHAS = [0, 0.25, 0.5, 0.75, 1, 1.25];

export interface SweepOptions {
  base: string;
  tuned: string;
  alphas: number[];
  revert?: string;
  /** Where the dose models go (default <store>/sweep/<key>). */
  models?: string;
  /** The audit's settings (config keys, as `ftledger audit --config` takes them). */
  audit: Record<string, unknown>;
  json: boolean;
  quiet: boolean;
  report?: string;
}

function fail(message: string): number {
  process.stderr.write(`ftledger sweep: ${message}\n`);
  return 2;
}

/** Identifies a (base, tuned, revert) triple: paths plus the weight files' sizes and times, so a re-trained run gets new folders. */
async function sweepKey(base: ModelWeights, tuned: ModelWeights, revert: RevertSpec): Promise<string> {
  const files = async (m: ModelWeights) => {
    const paths = [...new Set(m.source.names().map((n) => m.source.fileOf(n)!))];
    return Promise.all(paths.map(async (p) => {
      const s = await stat(p);
      return `${p}:${s.size}:${s.mtimeMs}`;
    }));
  };
  return sha256Text(JSON.stringify([base.dir, await files(base), tuned.dir, await files(tuned), revertText(revert)])).slice(0, 16);
}

/** The folder of dose α, reusing one written before (its manifest records the dose). */
async function doseModel(base: ModelWeights, tuned: ModelWeights, alpha: number, revert: RevertSpec, dir: string, quiet: boolean): Promise<{ ok: true; spec: string } | { ok: false; error: string }> {
  const plain = revert.groups.length === 0 && revert.layers.length === 0;
  if (plain && alpha === 0) return { ok: true, spec: `builtin:${base.dir}` };
  if (plain && alpha === 1) return { ok: true, spec: `builtin:${tuned.dir}` };
  const out = join(dir, `alpha-${alpha}`);
  const prior = await readFile(join(out, WEIGHTS_MANIFEST), "utf8").then((t) => JSON.parse(t) as { alpha?: unknown }, () => null);
  if (prior?.alpha === alpha) return { ok: true, spec: `builtin:${out}` };
  if (!quiet) process.stderr.write(`writing θ₀ + ${alpha}·Δ${plain ? "" : ` (reverted: ${revertText(revert)})`} to ${out}\n`);
  const r = await writeScaledModel({ base, tuned, alpha, revert, out });
  if (!r.ok) return { ok: false, error: formatWeightsError(r.error) };
  return { ok: true, spec: `builtin:${out}` };
}

const alphaText = (a: number) => `α=${a}`;

/** The dose table: one line per row, Δ [CI] per α, ✓ where a capability is non-inferior. */
export function doseLines(d: DoseResponse): string[] {
  const head = ["row", "role", ...d.alphas.map(alphaText)];
  const cells = d.curves.map((c) => [
    c.key, c.role === "proxy" ? "proxy" : "capab.",
    ...d.alphas.map((a) => {
      const p = c.points.find((x) => x.alpha === a);
      if (!p || p.delta === null) return "—";
      return `${deltaText({ unit: c.unit, delta: p.delta, ci_low: p.ci_low, ci_high: p.ci_high })}${p.non_inferior === true ? " ✓" : ""}`;
    }),
  ]);
  const w = head.map((h, j) => Math.max(h.length, ...cells.map((r) => r[j].length)));
  const line = (r: string[]) => "  " + r.map((x, j) => (j < 2 ? x.padEnd(w[j]) : x.padStart(w[j]))).join("  ").trimEnd();
  const out = [line(head), "  " + w.map((n) => "─".repeat(n)).join("  "), ...cells.map(line)];
  out.push("", "  ✓ = non-inferior: the adjusted interval excludes a loss beyond the row's margin.");
  if (d.keep_alpha === null) {
    out.push(`keep: no dose keeps every capability non-inferior (at α=${d.alphas[0]}: ${d.blocking[0]?.rows.slice(0, 4).join(", ") || "—"})`);
  } else {
    const next = d.alphas.filter((a) => a > d.keep_alpha!).map((a) => d.blocking.find((b) => b.alpha === a)!).find((b) => b.rows.length > 0);
    out.push(`keep: α = ${d.keep_alpha} is the largest dose whose capabilities are all non-inferior${next ? `; at α=${next.alpha} not shown for ${next.rows.slice(0, 4).join(", ")}${next.rows.length > 4 ? ", …" : ""}` : ""}`);
  }
  return out;
}

export async function sweepCommand(o: SweepOptions): Promise<number> {
  if (o.alphas.length === 0) return fail("--alpha needs at least one dose, e.g. --alpha 0,0.5,1");
  if (new Set(o.alphas).size !== o.alphas.length) return fail(`--alpha ${o.alphas.join(",")}: a dose is repeated`);
  const revert = o.revert === undefined ? { ok: true as const, value: NO_REVERT } : parseRevert(o.revert);
  if (!revert.ok) return fail(revert.error);
  const opened = await openAllWeights([o.base, o.tuned]);
  if (!opened.ok) return fail(formatWeightsError(opened.error));
  const [base, tuned] = opened.value;
  const specs: string[] = [];
  let diff: DiffResult | undefined;
  try {
    const names = sharedTensors(base, [tuned]);
    if (!names.ok) return fail(formatWeightsError(names.error));
    // where the fine-tune changed the weights, for the page (no spectra: one streaming pass)
    const d = await diffWeights(base, [tuned], { rank: "none" });
    if (d.ok) diff = d.value;
    const store = typeof o.audit.store === "string" ? o.audit.store : ".ftledger";
    const dir = o.models ?? join(store, "sweep", await sweepKey(base, tuned, revert.value));
    for (const a of o.alphas) {
      const r = await doseModel(base, tuned, a, revert.value, dir, o.quiet);
      if (!r.ok) return fail(r.error);
      specs.push(r.spec);
    }
  } finally {
    await closeAll(opened.value);
  }
  const c = validateAuditConfig({ ...o.audit, base: `builtin:${base.dir}`, tuned: specs }, "sweep");
  if (!c.ok) return fail(c.error.replace(/^sweep: /, ""));
  let captured: AuditResult | undefined;
  const code = await auditCommand(c.value, { json: false, quiet: o.quiet, print: false, onResult: async ({ result }) => void (captured = result) });
  if (code === 2 || !captured) return code;
  const dose = doseResponse(o.alphas, captured.json.ledgers);
  const sweep = {
    ...dose, base: o.base, tuned: o.tuned, revert: revertText(revert.value) || null, run_id: captured.run.runId, models: specs,
  };
  if (o.json) process.stdout.write(`${JSON.stringify(sweep, null, 2)}\n`);
  else {
    process.stdout.write(`${[`dose-response: θ₀ + α·Δ, ${o.base} → ${o.tuned}${sweep.revert ? ` (reverted: ${sweep.revert})` : ""}   (run ${sweep.run_id})`, ...doseLines(dose)].join("\n")}\n`);
  }
  const { renderSweepHtml } = await import("../../report/index.js");
  const html = await renderSweepHtml(sweep, diff);
  const targets = [join(c.value.store, "reports", `${sweep.run_id}-sweep.html`), ...(o.report ? [o.report] : [])];
  for (const t of targets) {
    try {
      await writeTextAtomic(t, html, { mkdir: true });
    } catch (e) {
      return fail(`cannot write the report ${t} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give --report a writable path`);
    }
    if (!o.quiet) process.stderr.write(`sweep report: ${resolve(t)}\n`);
  }
  return code;
}

