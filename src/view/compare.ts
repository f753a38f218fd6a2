/**
 * GET /compare?a=&b=: two runs' ledgers side by side. Rows are matched by (probe,
 * metric, domain, formats, tuned index); each side shows its Δ [adj. CI], verdict and n,
 * and the last column says what changed. Above the table: how the two runs differ in
 * their setup (models, items, probes, settings), which is what explains most changes.
 */
import type { JsonRow } from "../audit/index.js";
import { deltaText } from "../report/index.js";
import {
  escapeHtml, page, rowKey, rowLabel, runHref, verdictHtml, type ModelEntry, type RunOverview,
} from "./html.js";
import { compareForm } from "./pages.js";

const e = escapeHtml;

type Result = NonNullable<RunOverview["result"]>;

interface Matched {
  label: string;
  tuned: number;
  role: string;
  a: JsonRow | undefined;
  b: JsonRow | undefined;
}

/** Rows of both runs matched by (row key, tuned index), in A's order then B's extras. */
export function matchRows(a: Result, b: Result): Matched[] {
  const out = new Map<string, Matched>();
  const add = (side: "a" | "b", res: Result) => {
    for (const l of res.ledgers) {
      for (const r of l.rows) {
        const k = `${rowKey(r)}\u0000${l.tuned}`;
        const m = out.get(k) ?? { label: rowLabel(r), tuned: l.tuned, role: r.role, a: undefined, b: undefined };
        m[side] = r;
        out.set(k, m);
      }
    }
  };
  add("a", a);
  add("b", b);
  return [...out.values()];
}

/** What changed for one matched row, in words (empty when nothing did). */
export function changeOf(m: Matched): string {
  if (!m.a) return "only in B";
  if (!m.b) return "only in A";
  const parts: string[] = [];
  if (m.a.verdict !== m.b.verdict) parts.push(`verdict ${m.a.verdict} → ${m.b.verdict}`);
  if (m.a.hidden_trade !== m.b.hidden_trade) parts.push(m.b.hidden_trade ? "now a hidden trade" : "no longer a hidden trade");
  if (m.a.delta !== null && m.b.delta !== null && m.a.delta !== m.b.delta) {
    const d = m.b.delta - m.a.delta;
    parts.push(`Δ moved ${m.a.unit === "share" ? `${d >= 0 ? "+" : ""}${(100 * d).toFixed(1)} pp` : `${d >= 0 ? "+" : ""}${d.toFixed(3)}`}`);
  }
  if (m.a.n !== m.b.n) parts.push(`n ${m.a.n} → ${m.b.n}`);
  return parts.join("; ");
}

const modelText = (m: ModelEntry | undefined) => (m ? `${m.spec} (${m.format}; ${m.id})` : "—");

/** Setup differences: models, items, probes, settings. */
export function setupChanges(a: RunOverview, b: RunOverview): string[] {
  const out: string[] = [];
  if (modelText(a.base) !== modelText(b.base)) out.push(`base: ${modelText(a.base)} → ${modelText(b.base)}`);
  const n = Math.max(a.tuned.length, b.tuned.length);
  for (let i = 0; i < n; i++) {
    const x = modelText(a.tuned[i]), y = modelText(b.tuned[i]);
    if (x !== y) out.push(`tuned #${i + 1}: ${x} → ${y}`);
  }
  if (a.items !== b.items || a.itemsSha !== b.itemsSha) out.push(`items: ${a.items ?? "?"} → ${b.items ?? "?"}${a.items === b.items ? " (different items)" : ""}`);
  const pa = new Set(a.probes), pb = new Set(b.probes);
  const added = b.probes.filter((p) => !pa.has(p)), removed = a.probes.filter((p) => !pb.has(p));
  if (added.length) out.push(`probes only in B: ${added.join(", ")}`);
  if (removed.length) out.push(`probes only in A: ${removed.join(", ")}`);
  for (const k of new Set([...Object.keys(a.settings), ...Object.keys(b.settings)])) {
    const x = JSON.stringify(a.settings[k]), y = JSON.stringify(b.settings[k]);
    if (x !== y) out.push(`${k}: ${x ?? "—"} → ${y ?? "—"}`);
  }
  const adjA = a.result?.ledgers[0], adjB = b.result?.ledgers[0];
  if (adjA && adjB && (adjA.adjust !== adjB.adjust || adjA.alpha !== adjB.alpha)) out.push(`adjustment: ${adjA.adjust} α=${adjA.alpha} → ${adjB.adjust} α=${adjB.alpha}`);
  return out;
}

function side(r: JsonRow | undefined): string {
  if (!r) return `<td class="muted" colspan="3">—</td>`;
  return `<td class="num">${e(deltaText(r))}</td><td>${verdictHtml(r.verdict)}${r.hidden_trade ? " !" : ""}</td><td class="num">${r.n}</td>`;
}

export function comparePage(a: RunOverview & { result: Result }, b: RunOverview & { result: Result }, all: RunOverview[]): string {
  const rows = matchRows(a.result, b.result);
  const changes = rows.map(changeOf);
  const verdictChanges = rows.filter((m, i) => m.a && m.b && m.a.verdict !== m.b.verdict && changes[i] !== "");
  const setup = setupChanges(a, b);
  const head = (x: RunOverview, name: string) =>
    `<li>${name}: <a class="mono" href="${e(runHref(x.id))}">${e(x.id)}</a> <span class="muted">${e(x.created)} · ${e(x.base?.spec ?? "?")} → ${e(x.tuned.map((t) => t.spec).join(", "))}</span></li>`;
  const body = rows.map((m, i) => `<tr${changes[i] ? ` class="changed"` : ""}>
<td>${e(m.label)}</td><td class="num">#${m.tuned}</td><td>${e(m.role)}</td>${side(m.a)}${side(m.b)}<td>${e(changes[i]) || `<span class="muted">same</span>`}</td></tr>`);
  return page(`compare ${a.id} and ${b.id}`, `<h1>Two runs compared</h1>
<ul>${head(a, "A")}${head(b, "B")}</ul>
${compareForm(all, a.id, b.id)}
<h2>What changed between them</h2>
${setup.length ? `<ul>${setup.map((s) => `<li>${e(s)}</li>`).join("")}</ul>` : `<p class="muted">Same models, items, probes and settings.</p>`}
${verdictChanges.length
    ? `<p><b>${verdictChanges.length}</b> row${verdictChanges.length === 1 ? "" : "s"} changed verdict:</p><ul>${verdictChanges.map((m) => `<li>${e(m.label)} (#${m.tuned}): ${verdictHtml(m.a!.verdict)} → ${verdictHtml(m.b!.verdict)}</li>`).join("")}</ul>`
    : `<p>No row changed its verdict.</p>`}
<p class="muted">${rows.filter((m) => !m.b).length} rows only in A, ${rows.filter((m) => !m.a).length} only in B, ${rows.filter((m) => m.a && m.b).length} in both.</p>
<h2>Ledgers side by side</h2>
<table><thead>
<tr><th rowspan="2">probe · metric</th><th rowspan="2">tuned</th><th rowspan="2">role</th><th colspan="3">A <span class="mono">${e(a.id)}</span></th><th colspan="3">B <span class="mono">${e(b.id)}</span></th><th rowspan="2">what changed</th></tr>
<tr><th>Δ [adj. CI]</th><th>verdict</th><th>n</th><th>Δ [adj. CI]</th><th>verdict</th><th>n</th></tr>
</thead><tbody>${body.join("\n")}</tbody></table>
<p class="muted">Δ = tuned − base; shares in percentage points; ! = hidden trade (the probe's proxy gained while its capability lost).</p>`, [
    { href: runHref(a.id), label: `run A` },
    { href: runHref(b.id), label: `run B` },
  ]);
}
