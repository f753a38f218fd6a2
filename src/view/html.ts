/**
 * Shared pieces of the `ftledger view` pages: the page frame (inline CSS, no network
 * resources), number formatting, and careful readers of what a run store holds.
 *
 * NOTE: everything read from a store (specs, ids, model text, even probe names) is
 * untrusted: a store can be hand-made or come from someone else. Every string goes
 * through `escapeHtml` before it reaches a page.
 */
import { RESULT_SCHEMA, VERDICTS, type AuditResultJson, type JsonRow, type RunSummary } from "../audit/index.js";
import { deltaText, escapeHtml, readAuditResult, rowLabel } from "../report/index.js";

export { escapeHtml, rowLabel };

const CSS = `
:root { --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --bg: #fff; --head: #f4f6f8;
  --gained: #1a7f37; --lost: #c62828; --negligible: #0e7490; --equivalent: #5b6470; --inconclusive: #9a6700; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
main { padding: 16px 24px 48px; max-width: 1400px; }
nav.ftl-nav { background: #1b1f24; color: #fff; padding: 8px 24px; font-size: 14px; }
nav.ftl-nav a { color: #fff; margin-right: 16px; text-decoration: none; }
nav.ftl-nav a:hover { text-decoration: underline; }
h1 { font-size: 20px; margin: 8px 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
p.muted, span.muted, td.muted { color: var(--muted); }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
.v-gained { color: var(--gained); font-weight: 600; } .v-lost { color: var(--lost); font-weight: 600; }
.v-negligible { color: var(--negligible); } .v-equivalent { color: var(--equivalent); } .v-inconclusive { color: var(--inconclusive); }
.note { background: #fff8e1; border: 1px solid #f0d58c; padding: 8px 12px; border-radius: 4px; margin: 12px 0; }
.error { background: #fdecea; border: 1px solid #f5b5ae; padding: 8px 12px; border-radius: 4px; margin: 12px 0; }
form.inline { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
select { max-width: 480px; }
tr.changed td { background: #fffbe6; }
`;

/** The navigation bar of every page (inline styles too, so it also fits into the report's page). */
export function navBar(links: { href: string; label: string }[] = []): string {
  const style = "background:#1b1f24;color:#fff;padding:8px 24px;font:14px system-ui,sans-serif";
  const a = (href: string, label: string) => `<a href="${escapeHtml(href)}" style="color:#fff;margin-right:16px;text-decoration:none">${escapeHtml(label)}</a>`;
  return `<nav class="ftl-nav" style="${style}">${a("/", "ftledger view: all runs")}${links.map((l) => a(l.href, l.label)).join("")}</nav>`;
}

/** A whole page: `body` is trusted HTML (built with escapeHtml), `title` is escaped here. */
export function page(title: string, body: string, links: { href: string; label: string }[] = []): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body>${navBar(links)}<main>${body}</main></body></html>`;
}

/** The URL of a run's page (ids are hashes, but a hand-made store may hold anything). */
export const runHref = (id: string): string => `/runs/${encodeURIComponent(id)}`;

// ---- numbers ---------------------------------------------------------------------


export { VERDICTS };

/** A verdict as coloured HTML (an unknown verdict from a foreign store is shown plainly). */
export function verdictHtml(v: string): string {
  const cls = (VERDICTS as readonly string[]).includes(v) ? ` class="v-${v}"` : "";
  return `<span${cls}>${escapeHtml(v)}</span>`;
}

/** A row's identity across runs and checkpoints: (probe, metric, domain, formats). */
export const rowKey = (r: JsonRow): string => [r.probe, r.metric, r.domain ?? "", r.formats.base, r.formats.tuned].join("\u0000");

// ---- what a store holds ----------------------------------------------------------

export interface ModelEntry {
  role: string;
  index: number;
  spec: string;
  id: string;
  format: string;
}

export interface RunOverview {
  id: string;
  created: string;
  updated: string;
  status: string;
  base: ModelEntry | undefined;
  tuned: ModelEntry[];
  items: number | null;
  /** The items' content hash: two runs on the same items share it. */
  itemsSha: string;
  probes: string[];
  settings: Record<string, unknown>;
  /** The stored ledger JSON; undefined while running or when it is not ours. */
  result: AuditResultJson | undefined;
}

const str = (x: unknown): string => (typeof x === "string" ? x : x === undefined || x === null ? "" : JSON.stringify(x));

function asObject(x: unknown): Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
}

/** The stored result when it is an audit result this version reads. */
export function readResult(x: unknown): AuditResultJson | undefined {
  return readAuditResult(x);
}

/** A run's manifest, read field by field (a run of another version shows what it can). */
export function overviewOf(run: RunSummary & { result?: unknown }): RunOverview {
  const m = asObject(run.manifest);
  const models: ModelEntry[] = (Array.isArray(m.models) ? m.models : []).map((x) => {
    const o = asObject(x);
    return { role: str(o.role), index: typeof o.index === "number" ? o.index : 0, spec: str(o.spec), id: str(o.id), format: str(o.format) };
  });
  const { count: items } = asObject(m.items);
  return {
    id: run.id, created: run.created, updated: run.updated, status: run.status,
    base: models.find((x) => x.role === "base"),
    tuned: models.filter((x) => x.role === "tuned").sort((a, b) => a.index - b.index),
    items: typeof items === "number" ? items : null,
    itemsSha: str(asObject(m.items).sha256),
    settings: asObject(m.settings),
    probes: (Array.isArray(m.probes) ? m.probes : []).map((p) => str(asObject(p).id)),
    result: readResult(run.result),
  };
}

/** Rows per verdict over every ledger of a result. */
export function verdictCounts(result: AuditResultJson): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(VERDICTS.map((v) => [v, 0]));
  for (const l of result.ledgers) for (const r of l.rows) counts[r.verdict] = (counts[r.verdict] ?? 0) + 1;
  return counts;
}

export const hiddenTradeCount = (result: AuditResultJson): number => result.ledgers.reduce((s, l) => s + l.hidden_trades.length, 0);
