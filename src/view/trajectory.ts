/**
 * GET /runs/:id/trajectory: an audit of several tuned models against one base (a
 * fine-tuning run's checkpoints, oldest first). Per row, the Δ at each checkpoint with
 * its verdict; a plot of the capability rows' Δ; and, for each capability row, the first
 * checkpoint where it is `lost`: where did the capability start to fall?
 * Like the terminal's trajectory table (docs/PROBES.md §2), no test is run across
 * checkpoints: each checkpoint's verdict comes from its own ledger.
 */
import type { JsonRow } from "../audit/index.js";
import { deltaText, pText, signedText, trajectoryPlot } from "../report/index.js";
import { escapeHtml, page, rowKey, rowLabel, runHref, verdictHtml, type RunOverview } from "./html.js";

const e = escapeHtml;

type Ledger = NonNullable<RunOverview["result"]>["ledgers"][number];

export interface TrajectoryRow {
  label: string;
  role: JsonRow["role"];
  /** One entry per checkpoint (ledger order); undefined where that ledger has no such row. */
  cells: (JsonRow | undefined)[];
  /** Index into the checkpoints of the first `lost` verdict, or -1. */
  firstLost: number;
}

/** The ledgers of a result as checkpoints, oldest (lowest tuned index) first. */
export const checkpointsOf = (ledgers: readonly Ledger[]): Ledger[] => [...ledgers].sort((a, b) => a.tuned - b.tuned);

/** One line per row across the checkpoints. */
export function trajectoryRows(checkpoints: readonly Ledger[]): TrajectoryRow[] {
  const rows = new Map<string, TrajectoryRow>();
  checkpoints.forEach((l, j) => {
    for (const r of l.rows) {
      const k = rowKey(r);
      let row = rows.get(k);
      if (!row) {
        row = { label: rowLabel(r), role: r.role, cells: checkpoints.map(() => undefined), firstLost: -1 };
        rows.set(k, row);
      }
      row.cells[j] = r;
    }
  });
  for (const row of rows.values()) row.firstLost = row.cells.findIndex((r) => r?.verdict === "lost");
  return [...rows.values()];
}

/**
 * The report's trajectory plot over the capability rows; a run whose capability rows
 * have no share to plot (e.g. task.accuracy alone in one format) gets every row instead,
 * and a line saying so.
 */
export async function capabilityPlot(checkpoints: readonly Ledger[]): Promise<string> {
  const capability = checkpoints.map((l) => ({ ...l, rows: l.rows.filter((r) => r.role === "capability") }));
  if (capability.some((l) => l.rows.some((r) => r.unit === "share" && r.delta !== null))) return trajectoryPlot(capability);
  return `<p class="muted">This run has no capability row with a share to plot; the plot shows every share row.</p>${await trajectoryPlot(checkpoints)}`;
}

const MARK: Record<string, string> = { gained: "+", lost: "−", negligible: "~", equivalent: "=", inconclusive: "?" };

function cell(r: JsonRow | undefined): string {
  if (!r) return `<td class="num muted">·</td>`;
  const unit = r.unit === "share" ? " pp" : "";
  const title = `${r.verdict}; n = ${r.n}; CI [${signedText(r, r.ci_low)}, ${signedText(r, r.ci_high)}]`;
  return `<td class="num" title="${e(title)}">${e(signedText(r, r.delta))}${unit} <span class="v-${e(r.verdict)}">${e(MARK[r.verdict] ?? "?")}</span></td>`;
}

export function trajectoryPage(run: RunOverview, checkpoints: readonly Ledger[], plotSvg: string): string {
  const rows = trajectoryRows(checkpoints);
  const name = (j: number) => `#${checkpoints[j].tuned}`;
  const spec = (j: number) => checkpoints[j].spec;
  const capability = rows.filter((r) => r.role === "capability");
  const falls = capability.filter((r) => r.firstLost >= 0).sort((a, b) => a.firstLost - b.firstLost);
  const held = capability.filter((r) => r.firstLost < 0);
  const fallsHtml = falls.length
    ? `<table><thead><tr><th>capability row</th><th>first lost at</th><th>Δ there [adj. CI]</th><th>p (adj.)</th><th>n</th></tr></thead><tbody>${falls.map((r) => {
      const x = r.cells[r.firstLost]!;
      return `<tr><td>${e(r.label)}</td><td><b>${e(name(r.firstLost))}</b> <span class="mono muted">${e(spec(r.firstLost))}</span></td><td class="num">${e(deltaText(x))}</td><td class="num">${e(pText(x.p_adj))}</td><td class="num">${x.n}</td></tr>`;
    }).join("")}</tbody></table>`
    : `<p>No capability row is <span class="v-lost">lost</span> at any checkpoint.</p>`;
  const table = `<table><thead><tr><th>probe · metric (Δ vs base)</th><th>role</th>${checkpoints.map((_, j) => `<th class="num" title="${e(spec(j))}">${e(name(j))}</th>`).join("")}<th>first lost</th></tr></thead>
<tbody>${rows.map((r) => `<tr><td>${e(r.label)}</td><td>${e(r.role)}</td>${r.cells.map(cell).join("")}<td>${r.firstLost >= 0 ? verdictHtml("lost") + " at " + e(name(r.firstLost)) : `<span class="muted">—</span>`}</td></tr>`).join("\n")}</tbody></table>`;
  return page(`trajectory of run ${run.id}`, `<h1>Trajectory of run <a class="mono" href="${e(runHref(run.id))}">${e(run.id)}</a></h1>
<p class="muted">Base <code>${e(run.base?.spec ?? "?")}</code>; ${checkpoints.length} tuned models (checkpoints), each audited against the base on the same items.</p>
<ol class="mono">${checkpoints.map((l, j) => `<li value="${l.tuned}">${e(name(j))} ${e(l.spec)}</li>`).join("")}</ol>
<h2>Where did the capability start to fall?</h2>
${fallsHtml}
${held.length ? `<p class="muted">Never lost: ${held.map((r) => e(r.label)).join("; ")}.</p>` : ""}
<h2>Capability rows across checkpoints</h2>
<div class="plot">${plotSvg}</div>
<h2>Every row at each checkpoint</h2>
${table}
<p class="muted">Δ = tuned − base (shares in percentage points) with its verdict: + gained, − lost, ~ negligible, = equivalent, ? inconclusive; · = no such row at that checkpoint. Hover a cell for its CI and n. Each checkpoint's verdicts come from its own ledger (its own Holm/BH family); no test is run across checkpoints.</p>`, [
    { href: runHref(run.id), label: "this run's ledger" },
  ]);
}

/** The note a run with a single tuned model gets instead. */
export function singleCheckpointPage(run: RunOverview): string {
  return page(`trajectory of run ${run.id}`, `<h1>Trajectory of run <a class="mono" href="${e(runHref(run.id))}">${e(run.id)}</a></h1>
<p class="note">This run audits one tuned model, so it has no trajectory. Audit several checkpoints against the same base, oldest first, to see where a capability starts to fall: <code>ftledger audit --base SPEC --tuned CKPT1 CKPT2 …</code> or <code>ftledger audit --base SPEC --trajectory RUN_FOLDER</code>.</p>`, [
    { href: runHref(run.id), label: "this run's ledger" },
  ]);
}
