/**
 * The run's report as one self-contained HTML file: inline CSS, inline SVG plots, and
 * one small inline script (the item explorer's filter). It loads nothing — no script,
 * stylesheet, font or image from anywhere — so it opens from disk and in CI artefacts.
 * Every string from the store (specs, domains, notes, item and model text) is escaped.
 */
import type { JsonRow } from "../audit/index.js";
import type { ReportInput } from "./data.js";
import { escapeHtml } from "./escape.js";
import { explorerHtml } from "./explorer.js";
import {
  deltaText, deltaUnit, gateText, hiddenTradeText, itemsText, itemsToSettle, notMeasured, orderedRows, pText, rowDetailText, rowLabel, summarize, valueText,
  verdictText, type LedgerJson,
} from "./ledger-text.js";
import { calibrationPlot, earlyAnsweringPlot, formatPlot, n1Plot } from "./plots-records.js";
import { diversityPlot, tradeoffPlot, trajectoryPlot } from "./plots.js";

/** The report stylesheet, shared by every page the report module writes (audit, diff, sweep). */
export const REPORT_CSS = `
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --gained: #15803d; --lost: #b91c1c; --negligible: #0e7490; --equivalent: #2563eb; --inconclusive: #6b7280; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0 auto; padding: 16px 24px 48px; max-width: 1400px; }
h1 { font-size: 20px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.muted, .note { color: var(--muted); } .note { font-size: 13px; }
[hidden] { display: none !important; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f9fafb; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.ledger tr.hidden-trade td { background: #fef2f2; } table.ledger td.mark { color: var(--lost); font-weight: 700; }
.v-gained { color: var(--gained); font-weight: 600; } .v-lost { color: var(--lost); font-weight: 700; } .v-negligible { color: var(--negligible); } .v-equivalent { color: var(--equivalent); } .v-inconclusive { color: var(--inconclusive); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; } dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.alert { border-left: 4px solid var(--lost); background: #fef2f2; padding: 6px 12px; margin: 8px 0; } .ok { border-left: 4px solid var(--gained); background: #f0fdf4; padding: 6px 12px; margin: 8px 0; }
figure { margin: 12px 0 20px; overflow-x: auto; } figure svg { max-width: none; height: auto; }
.plots { display: flex; flex-wrap: wrap; gap: 8px 32px; align-items: flex-start; }
p.not-measured { color: var(--muted); font-style: italic; margin: 6px 0; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 8px 0; } .filters select, .filters input { font: inherit; }
.scroll { overflow-x: auto; }
table.explorer { width: 100%; table-layout: fixed; min-width: 1000px; } table.explorer td.id { overflow-wrap: anywhere; font-family: ui-monospace, monospace; font-size: 12px; }
table.explorer pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 14em; overflow-y: auto; font: 12px/1.35 ui-monospace, "SFMono-Regular", Menlo, monospace; }
.chip { border-radius: 8px; padding: 0 6px; font-size: 12px; color: #fff; } .chip.gained { background: var(--gained); } .chip.lost { background: var(--lost); }
nav.toc a { margin-right: 12px; }

.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 0.5rem 1.5rem; margin: 0.5rem 0 1rem; }
.summary h3 { font-size: 0.95rem; margin: 0.4rem 0 0.2rem; } .summary ul { margin: 0; padding-left: 1.1rem; font-size: 0.85rem; }
.summary li.hidden-trade { background: #fef3c7; }
`;

function mdeText(r: JsonRow): string {
  if (r.mde === null) return "—";
  const u = deltaUnit(r);
  return `${r.unit === "share" ? (100 * r.mde).toFixed(1) : r.mde.toFixed(3)}${u ? ` ${u}` : ""}`;
}

/**
 * One ledger as an HTML table (hidden trades first, each Δ with its adjusted CI, the adjusted
 * p, n, MDE and the verdict), followed by its hidden trades and "not measured" probes.
 */
export function ledgerTableHtml(ledger: LedgerJson): string {
  const adj = ledger.adjust === "holm" ? "Holm" : "BH";
  const head = ["", "probe · metric", "role", "base", "tuned", "Δ [adj. CI]", `p (${adj})`, "n", "MDE", "verdict"];
  const body = orderedRows(ledger).map((r) => {
    const title = ` title="${escapeHtml(rowDetailText(r))}"`;
    const shared = r.shared_by.length > 0 ? ` <span class="muted">(also ${escapeHtml(r.shared_by.join(", "))})</span>` : "";
    return `<tr class="${r.hidden_trade ? "hidden-trade" : ""}"${title}>` +
      `<td class="mark">${r.hidden_trade ? "!" : ""}</td><td>${escapeHtml(rowLabel(r))}${shared}</td><td>${r.role === "proxy" ? "proxy" : "capab."}</td>` +
      `<td class="num">${escapeHtml(valueText(r, r.base))}</td><td class="num">${escapeHtml(valueText(r, r.tuned))}</td>` +
      `<td class="num">${escapeHtml(deltaText(r))}</td><td class="num">${escapeHtml(pText(r.p_adj))}</td><td class="num">${r.n}</td>` +
      `<td class="num">${escapeHtml(mdeText(r))}</td><td class="v-${escapeHtml(r.verdict)}">${escapeHtml(verdictText(r))}</td></tr>`;
  });
  const parts = [`<table class="ledger"><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>\n${body.join("\n")}\n</tbody></table>`];
  if (ledger.hidden_trades.length > 0) {
    parts.push(`<div class="alert"><b>! hidden trade</b>: the probe's proxy gained while its capability lost —<ul>${ledger.hidden_trades.map((t) => `<li>${escapeHtml(hiddenTradeText(t))}</li>`).join("")}</ul></div>`);
  }
  const missing = notMeasured(ledger);
  if (missing.length > 0) parts.push(`<ul class="note">${missing.map((m) => `<li>not measured: ${escapeHtml(m.probe)}: ${escapeHtml(m.reason)}</li>`).join("")}</ul>`);
  const partly = orderedRows(ledger).filter((r) => r.measured !== null);
  if (partly.length > 0) {
    parts.push(`<p class="note">Measured on fewer items than the audit gave (each has a <code>.measurable</code> row in the table):</p><ul class="note">${partly.map((r) => `<li>${escapeHtml(rowLabel(r))}: base ${r.measured!.base}, tuned ${r.measured!.tuned} of ${r.measured!.items} items</li>`).join("")}</ul>`);
  }
  return parts.join("\n");
}

/** A ledger's answer first: gained, lost (hidden trades first), equivalent, negligible, and what this n cannot tell. */
export function summaryHtml(l: LedgerJson, max = 8): string {
  const s = summarize(l);
  const li = (r: JsonRow, what: string) => `<li class="${r.hidden_trade ? "hidden-trade" : ""}">${r.hidden_trade ? "<b>!</b> " : ""}${escapeHtml(rowLabel(r))} <span class="muted">${escapeHtml(what)}</span></li>`;
  const change = (r: JsonRow) => `${valueText(r, r.base)} → ${valueText(r, r.tuned)}, ${deltaText(r)}`;
  const block = (title: string, cls: string, rows: JsonRow[], what: (r: JsonRow) => string) => {
    if (rows.length === 0) return `<div class="sum"><h3 class="v-${cls}">${escapeHtml(title)} (0)</h3></div>`;
    const more = rows.length > max ? `<li class="muted">… and ${rows.length - max} more in the ledger below</li>` : "";
    return `<div class="sum"><h3 class="v-${cls}">${escapeHtml(title)} (${rows.length})</h3><ul>${rows.slice(0, max).map((r) => li(r, what(r))).join("")}${more}</ul></div>`;
  };
  const margin = (r: JsonRow) => (r.unit === "share" ? `${(100 * r.margin).toFixed(1)} pp` : String(r.margin));
  return `<div class="summary">${[
    block("gained", "gained", s.gained, change),
    block("lost", "lost", s.lost, change),
    block("equivalent", "equivalent", s.equivalent, (r) => `${deltaText(r)}, within ±${margin(r)}`),
    block("negligible", "negligible", s.negligible, change),
    block("cannot be told at this n", "inconclusive", s.undecided, (r) => `n = ${r.n}, ${deltaText(r)}; needs ${itemsText(itemsToSettle(r))} items`),
  ].join("")}</div>`;
}

function headerHtml(input: ReportInput, title: string): string {
  const r = input.result;
  const m = r.manifest;
  const models = (m?.models ?? []).map((x) => `<dt>${x.role === "base" ? "base" : `tuned #${x.index}`}</dt><dd>${escapeHtml(x.spec)} <span class="muted">(format ${escapeHtml(x.format)}; id ${escapeHtml(x.id)})</span></dd>`);
  const s = m?.settings;
  const meta = [
    `<dt>run</dt><dd>${escapeHtml(r.run_id)}${r.resumed ? " (resumed)" : ""} <span class="muted">store ${escapeHtml(r.store)}</span></dd>`,
    ...models,
    ...(m ? [`<dt>items</dt><dd>${m.items.count} from ${escapeHtml(m.items.sources.join(", "))}</dd>`, `<dt>probes</dt><dd>${escapeHtml(m.probes.map((p) => p.id).join(", "))}</dd>`] : []),
    ...(s ? [`<dt>settings</dt><dd>seed ${s.seed}, samples ${s.samples}, max tokens ${s.maxTokens}${s.sameFormat ? "" : ", no same-format arm"}</dd>`] : []),
    `<dt>records</dt><dd>${r.records.stored} stored (${r.records.computed} computed by the audit that wrote this result)</dd>`,
  ];
  const trades = r.ledgers.flatMap((l) => l.hidden_trades.map((t) => `tuned #${l.tuned}: ${hiddenTradeText(t)}`));
  const summary = trades.length > 0
    ? `<div class="alert"><b>${trades.length} hidden trade(s)</b><ul>${trades.map((t) => `<li>${escapeHtml(t)}</li>`).join("")}</ul></div>`
    : `<div class="ok">No hidden trade: no probe's proxy gained while one of its capabilities lost.</div>`;
  const gate = gateText(r);
  const gateHtml = gate === undefined ? "" : `<div class="${r.gate.passed ? "ok" : "alert"}">${escapeHtml(gate)}</div>`;
  const answers = [...(r.pooled ? [r.pooled] : []), ...(r.pooled ? [] : r.ledgers)].map((l) =>
    `<section class="answer"><h2>${l.tuned === 0 ? `The answer over ${escapeHtml(l.spec)}` : `The answer: base → tuned #${l.tuned}`}</h2>${summaryHtml(l)}</section>`);
  const toc = [...(r.pooled ? ['<a href="#ledger-pooled">ledger over seeds</a>'] : []), ...r.ledgers.map((l) => `<a href="#ledger-${l.tuned}">ledger #${l.tuned}</a>`), ...(r.ledgers.length > 1 ? ['<a href="#trajectory">trajectory</a>'] : []), '<a href="#measurements">measurements</a>', '<a href="#explorer">item explorer</a>'];
  return `<header><h1>${escapeHtml(title)}</h1><dl class="meta">${meta.join("")}</dl>${summary}${gateHtml}${answers.join("")}<nav class="toc">${toc.join("")}</nav></header>`;
}

/** The whole report. `title` defaults to "ftledger audit: BASE → TUNED". */
export async function renderHtml(input: ReportInput, opts: { title?: string } = {}): Promise<string> {
  const r = input.result;
  const baseSpec = r.manifest?.models?.find((x) => x.role === "base")?.spec ?? "base";
  const title = opts.title ?? `ftledger audit: ${baseSpec} → ${r.ledgers.map((l) => l.spec).join(", ")}`;
  const [ledgerPlots, trajectory, early, formats, n1, calibration] = await Promise.all([
    Promise.all(r.ledgers.map(async (l) => [await tradeoffPlot(l), await diversityPlot(l)] as const)),
    r.ledgers.length > 1 ? trajectoryPlot(r.ledgers) : Promise.resolve(""),
    earlyAnsweringPlot(input), formatPlot(input), n1Plot(input), calibrationPlot(input),
  ]);
  const ledgers = r.ledgers.map((l, i) => `<section id="ledger-${l.tuned}"><h2>Ledger: base → tuned #${l.tuned} <span class="muted">${escapeHtml(l.spec)}</span></h2>
<p class="note">α = ${l.alpha} after ${l.adjust} adjustment across this ledger's rows. Shares in %, their Δ and CI in percentage points (pp); Δ [adj. CI]: each interval at the level its own adjusted test used (it excludes 0 exactly when the row is significant; hover for the level); MDE = smallest change detectable at this n (power 0.8). Hover a row for its note.</p>
${ledgerTableHtml(l)}
<div class="plots"><figure>${ledgerPlots[i][0]}</figure><figure>${ledgerPlots[i][1]}</figure></div></section>`);
  const pooled = r.pooled
    ? `<section id="ledger-pooled"><h2>Ledger over fine-tuning seeds <span class="muted">${escapeHtml(r.pooled.spec)}</span></h2>
<p class="note">Δ = the mean over seeds of each seed's paired difference; intervals resample seeds and items together, so they cover both; hover a row for each seed's Δ.</p>
${ledgerTableHtml(r.pooled)}</section>`
    : "";
  const explorer = explorerHtml(input);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="ftledger">
<title>${escapeHtml(title)}</title><style>${REPORT_CSS}</style></head>
<body>
${headerHtml(input, title)}
<main>
${pooled}
${ledgers.join("\n")}
${r.ledgers.length > 1 ? `<section id="trajectory"><h2>Trajectory over the tuned models</h2><figure>${trajectory}</figure></section>` : ""}
<section id="measurements"><h2>Measurements per model</h2>
<p class="note">Levels of each model on the audit's items, from the stored per-item records; 95% Wilson intervals; the subtitles quote the ledger's paired Δ with its CI.</p>
<div class="plots"><figure>${early}</figure><figure>${formats}</figure><figure>${n1}</figure><figure>${calibration}</figure></div></section>
${explorer.html}
</main>
<footer class="note"><p>ftledger report of result schema ${escapeHtml(r.schema)}. Self-contained: it loads nothing from any network. See docs/PROBES.md for what each probe and verdict means.</p></footer>
${explorer.script ? `<script>${explorer.script}</script>` : ""}
</body></html>
`;
}
