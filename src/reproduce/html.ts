/**
 * reproduce.html: the claims' verdicts as one self-contained page (inline CSS and SVG, no
 * script, nothing loaded from a network), in the audit report's style and number
 * conventions (src/report: shares as %, their Δ in percentage points; "—" where a value
 * cannot be computed). A summary table first — one row per claim, its judged Δ with the
 * 95% interval, the pre-registered margin and direction, the verdict and the planted
 * control's — then one section per claim with its paper, organism, verdict, forest plot,
 * effects and trained runs. Every string from the result is escaped: titles, reasons and
 * run folders are data, never markup.
 */
import { escapeHtml, REPORT_CSS, valueText, signedText, deltaUnit, pText } from "../report/index.js";
import { forestPlotSvg, type ForestRow } from "./forest-plot.js";
import { SMOKE_NOTE, type ClaimResult, type EffectResult, type ReproduceResult } from "./result.js";
import type { ClaimVerdict, Prediction } from "./verdict.js";

/** Badge colours: reproduced green, contradicted red, not reproduced grey-blue, inconclusive amber, not runnable dark grey. */
const REPRODUCE_CSS = `
.badge { display: inline-block; border-radius: 8px; padding: 0 8px; font-size: 12px; font-weight: 600; color: #fff; white-space: nowrap; }
.badge.reproduced { background: #15803d; } .badge.contradicted { background: #b91c1c; } .badge.not-reproduced { background: #64748b; }
.badge.inconclusive { background: #d97706; } .badge.not-runnable { background: #374151; }
.smoke { border: 2px solid #b45309; border-left-width: 8px; background: #fffbeb; padding: 10px 14px; margin: 10px 0; font-size: 15px; font-weight: 700; color: #92400e; }
section.claim { margin-top: 32px; } section.claim p { max-width: 70rem; }
code { font: 12px ui-monospace, "SFMono-Regular", Menlo, monospace; overflow-wrap: anywhere; }
`;

const finite = (x: number | null | undefined): x is number => typeof x === "number" && Number.isFinite(x);

/** A verdict's CSS class: "not reproduced" → "not-reproduced". */
function verdictClass(v: ClaimVerdict): string {
  return v.replace(/ /g, "-");
}

export function verdictBadge(v: ClaimVerdict | undefined): string {
  if (v === undefined) return "—";
  return `<span class="badge ${verdictClass(v)}">${escapeHtml(v)}</span>`;
}

/** "+18.1 pp [+11.3, +25.6]"; "+18.1 pp [no interval]" for an effect with a problem; "—" without an estimate. */
export function effectDeltaText(e: EffectResult): string {
  if (!finite(e.estimate)) return "—";
  const u = deltaUnit(e);
  const interval = e.problem || !finite(e.ciLow) || !finite(e.ciHigh) ? "no interval" : `${signedText(e, e.ciLow)}, ${signedText(e, e.ciHigh)}`;
  return `${signedText(e, e.estimate)}${u ? ` ${u}` : ""} [${interval}]`;
}

/** The margin in the effect's display unit: "5.0 pp", "0.05 nats". */
export function marginText(unit: string, margin: number): string {
  if (!finite(margin)) return "—";
  const u = deltaUnit({ unit });
  return unit === "share" ? `${(100 * margin).toFixed(1)} pp` : `${Number(margin.toPrecision(3))}${u ? ` ${u}` : ""}`;
}

/** "increase > 5.0 pp": what the pre-registration counts as reproduced. */
export function predictionText(unit: string, p: Prediction | undefined): string {
  if (!p) return "—";
  return `${p.direction} ${p.direction === "increase" ? ">" : "<"} ${p.direction === "increase" ? "+" : "−"}${marginText(unit, p.margin)}`;
}

function num(x: number | null | undefined, digits = 0): string {
  return finite(x) ? x.toFixed(digits) : "—";
}

function header(r: ReproduceResult): string {
  const counts = new Map<ClaimVerdict, number>();
  for (const c of r.claims) counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
  const tally = [...counts].map(([v, n]) => `${verdictBadge(v)} ${n}`).join(" &nbsp; ");
  const meta = [
    `<dt>mode</dt><dd>${escapeHtml(r.mode)}${r.mode === "quick" ? " (smoke run)" : ""}</dd>`,
    `<dt>command</dt><dd><code>${escapeHtml(r.command)}</code></dd>`,
    `<dt>commit</dt><dd>${r.commit === null ? '<span class="muted">unknown</span>' : `<code>${escapeHtml(r.commit)}</code>`}</dd>`,
    `<dt>started</dt><dd>${escapeHtml(r.startedAt)}</dd>`,
    `<dt>updated</dt><dd>${escapeHtml(r.updatedAt)}</dd>`,
    `<dt>claims</dt><dd>${r.claims.length}${tally ? ` — ${tally}` : ""}</dd>`,
  ];
  const smoke = r.mode === "quick" ? `<div class="smoke" role="alert">${escapeHtml(SMOKE_NOTE)}</div>` : "";
  return `<header><h1>ftledger reproduce: the research claims as pre-registered experiments</h1>${smoke}<dl class="meta">${meta.join("")}</dl></header>`;
}

function summaryTable(r: ReproduceResult): string {
  const head = ["#", "claim", "judged metric", "contrast (tuned − reference)", "Δ [95% CI]", "predicted", "verdict", "control", "n × seeds", "paper figure"];
  const rows = r.claims.map((c) => {
    const e = c.effect;
    return `<tr><td class="num">${c.id}</td><td><a href="#claim-${c.id}">${escapeHtml(c.title)}</a></td>` +
      `<td>${e ? escapeHtml(e.label) : "—"}</td><td>${e ? `${escapeHtml(e.tuned)} − ${escapeHtml(e.reference)}` : "—"}</td>` +
      `<td class="num">${e ? escapeHtml(effectDeltaText(e)) : "—"}</td><td>${e ? escapeHtml(predictionText(e.unit, e.prediction)) : "—"}</td>` +
      `<td>${verdictBadge(c.verdict)}</td><td>${c.control ? verdictBadge(c.control.verdict) : '<span class="muted">none</span>'}</td>` +
      `<td class="num">${c.n} × ${c.seeds.length}</td><td>${escapeHtml(c.paper.figure)}</td></tr>`;
  });
  return `<section id="summary"><h2>Verdicts</h2>
<p class="note">Δ = tuned − reference of the judged metric, pooled over fine-tuning seeds and items, with its 95% interval (seeds and item clusters resampled together). Shares in percentage points (pp). A claim is <i>reproduced</i> when Δ is significant and beyond the margin in the predicted direction, <i>contradicted</i> when significant and beyond it the other way, <i>not reproduced</i> when shown equivalent to zero within ±margin (TOST), <i>inconclusive</i> otherwise (docs/CLAIMS.md). The control is the planted-effect contrast judged by the same rule.</p>
<div class="scroll"><table class="claims"><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>
${rows.join("\n")}
</tbody></table></div></section>`;
}

/** The effects a claim measured, in plot and table order. */
function effectRows(c: ClaimResult): ForestRow[] {
  const rows: ForestRow[] = [];
  if (c.effect) rows.push({ label: "judged effect", effect: c.effect });
  if (c.proxy) rows.push({ label: "proxy (reported)", effect: c.proxy });
  if (c.control) rows.push({ label: "planted control", effect: c.control });
  return rows;
}

function effectsTable(c: ClaimResult, rows: ForestRow[]): string {
  const head = ["", "metric", "contrast", "tuned mean", "reference mean", "Δ [95% CI]", "predicted", "p", "TOST p", "n", "clusters", "per-seed Δ", "verdict"];
  const body = rows.map(({ label, effect: e }) => {
    const perSeed = e.perSeed.map((d, i) => `${c.seeds[i] ?? `#${i + 1}`}: ${signedText(e, d)}`).join(", ");
    const where = `${e.probe}.${e.metric}${e.domain ? ` @${e.domain}` : ""}${e.inBaseFormat ? " [base format]" : ""}`;
    return `<tr><td>${escapeHtml(label)}</td><td>${escapeHtml(e.label)} <span class="muted">${escapeHtml(where)}</span></td>` +
      `<td>${escapeHtml(e.tuned)} − ${escapeHtml(e.reference)}</td><td class="num">${escapeHtml(valueText(e, e.tunedMean))}</td>` +
      `<td class="num">${escapeHtml(valueText(e, e.referenceMean))}</td><td class="num">${escapeHtml(effectDeltaText(e))}</td>` +
      `<td>${escapeHtml(predictionText(e.unit, e.prediction))}</td><td class="num">${escapeHtml(pText(e.p))}</td>` +
      `<td class="num">${e.prediction ? escapeHtml(pText(e.pTost ?? null)) : "—"}</td><td class="num">${num(e.n)}</td><td class="num">${num(e.clusters)}</td>` +
      `<td class="num">${escapeHtml(perSeed || "—")}${finite(e.seedSd) ? ` <span class="muted">(sd ${escapeHtml(signedText(e, e.seedSd).replace(/^\+/, ""))})</span>` : ""}</td>` +
      `<td>${e.verdict ? verdictBadge(e.verdict) : '<span class="muted">reported</span>'}</td></tr>`;
  });
  const problems = rows.filter((r) => r.effect.problem).map((r) => `<li>${escapeHtml(r.label)}: no interval — ${escapeHtml(r.effect.problem)}</li>`);
  const controlNote = c.control ? `<p class="note">Planted control: ${escapeHtml(c.control.describe)}</p>` : "";
  return `<div class="scroll"><table class="effects"><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${body.join("")}</tbody></table></div>` +
    `${problems.length ? `<ul class="note">${problems.join("")}</ul>` : ""}${controlNote}`;
}

function runsTable(c: ClaimResult): string {
  if (c.runs.length === 0) return '<p class="note">No model was trained for this claim.</p>';
  const body = c.runs.map((r) => `<tr><td>${escapeHtml(r.arm)}</td><td class="num">${r.seed}</td><td><code>${escapeHtml(r.dir)}</code></td><td>${r.reused ? "reused" : "trained"}</td></tr>`);
  return `<h3>Trained runs</h3><div class="scroll"><table class="runs"><thead><tr><th>arm</th><th>seed</th><th>run folder</th><th>this run</th></tr></thead><tbody>${body.join("")}</tbody></table></div>`;
}

/** The arXiv abstract page of an id; the id is escaped, and the fixed https prefix keeps the link an anchor to arXiv. */
function arxivLink(id: string): string {
  const safe = escapeHtml(id.trim());
  return `<a href="https://arxiv.org/abs/${safe}">arXiv:${safe}</a>`;
}

function claimSection(c: ClaimResult): string {
  const e = c.effect;
  const mde = c.plannedMde === null || !e ? "—" : marginText(e.unit, c.plannedMde);
  const facts = [
    `<dt>paper</dt><dd>${escapeHtml(c.paper.cite)} — ${arxivLink(c.paper.arxiv)}, ${escapeHtml(c.paper.figure)}</dd>`,
    `<dt>slug</dt><dd><code>${escapeHtml(c.slug)}</code></dd>`,
    `<dt>design</dt><dd>${c.n} items per suite × ${c.seeds.length} seed(s) (${escapeHtml(c.seeds.join(", ") || "—")}); planned MDE ${escapeHtml(mde)}</dd>`,
    `<dt>pre-registration</dt><dd><code>${escapeHtml(c.preregistration)}</code></dd>`,
    ...(c.auditRunId ? [`<dt>audit run</dt><dd><code>${escapeHtml(c.auditRunId)}</code></dd>`] : []),
    `<dt>wall time</dt><dd>${num(c.wallSeconds)} s</dd>`,
  ];
  const verdict = `<p><b>Verdict:</b> ${verdictBadge(c.verdict)}${c.reason ? ` — ${escapeHtml(c.reason)}` : ""}</p>`;
  const intro = `<section class="claim" id="claim-${c.id}"><h2>Claim ${c.id}: ${escapeHtml(c.title)}</h2><dl class="meta">${facts.join("")}</dl>` +
    `<p><b>Organism.</b> ${escapeHtml(c.organism)}</p>${verdict}`;
  if (c.verdict === "not runnable") return `${intro}<p class="not-measured">Not run: the lab cannot run this experiment, and no stand-in was measured.</p></section>`;
  const rows = effectRows(c);
  if (rows.length === 0) return `${intro}<p class="not-measured">No effect was measured.</p>${runsTable(c)}</section>`;
  const plot = `<figure>${forestPlotSvg(rows, c.seeds)}<figcaption class="note">Each seed's Δ (dots), the pooled Δ with its 95% interval (bar), zero (dashed); shaded: beyond the margin on the predicted side, where a significant Δ counts as reproduced. Each row on its own axis.</figcaption></figure>`;
  return `${intro}${plot}${effectsTable(c, rows)}${runsTable(c)}</section>`;
}

/** The whole page for a reproduce result (written beside reproduce.json after every claim). */
export function renderReproduceHtml(result: ReproduceResult): string {
  const title = `ftledger reproduce (${result.mode})`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="ftledger">
<title>${escapeHtml(title)}</title><style>${REPORT_CSS}${REPRODUCE_CSS}</style></head>
<body>
${header(result)}
<main>
${summaryTable(result)}
${result.claims.map(claimSection).join("\n")}
</main>
<footer class="note"><p>ftledger reproduce result schema ${escapeHtml(result.schema)}. Self-contained: it loads nothing from any network. See docs/CLAIMS.md for each claim's pre-registration and the verdict rule.</p></footer>
</body></html>
`;
}
