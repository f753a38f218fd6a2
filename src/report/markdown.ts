/**
 * The report as Markdown, for a pull-request comment: per tuned model a compact ledger
 * (hidden trades first; verdict, Δ [adj. CI], adjusted p, n), its hidden trades and
 * "not measured" probes, then the gate. No model text: only ids from the store, escaped
 * for GitHub's Markdown (which also renders inline HTML).
 */
import type { ReportInput } from "./data.js";
import { escapeMarkdownCell } from "./escape.js";
import { deltaText, gateText, hiddenTradeText, notMeasured, orderedRows, pText, rowLabel, summaryLines, valueText, verdictText } from "./ledger-text.js";

const cell = escapeMarkdownCell;

export function renderMarkdown(input: ReportInput): string {
  const r = input.result;
  const base = r.manifest?.models?.find((m) => m.role === "base");
  const out: string[] = [];
  const trades = r.ledgers.reduce((s, l) => s + l.hidden_trades.length, 0);
  out.push(`### ftledger audit — ${trades > 0 ? `⚠️ ${trades} hidden trade(s)` : "no hidden trade"}`, "");
  out.push(`Run \`${cell(r.run_id)}\`: base ${cell(base?.spec ?? "?")}${base ? ` (${cell(base.format)})` : ""}; ${r.manifest?.items.count ?? "?"} items.`, "");
  // where each model ran (manifest.models[].device; absent in results made before it existed)
  const devices = (r.manifest?.models ?? []).filter((m) => typeof m.device === "string").map((m) => `${m.role === "base" ? "base" : `tuned #${m.index}`} ${m.device}`);
  if (devices.length > 0) out.push(`Devices: ${cell(devices.join("; "))}.`, "");
  for (const l of r.pooled ? [r.pooled] : r.ledgers) {
    out.push(`#### The answer: ${l.tuned === 0 ? cell(l.spec) : `base → tuned #${l.tuned}`}`, "");
    // headings bold, entries a list; every piece escaped like a table cell (no raw text reaches GitHub's HTML)
    for (const line of summaryLines(l)) out.push(line.startsWith("  ") ? `- ${cell(line.trim())}` : `**${cell(line)}**`);
    out.push("");
  }
  for (const l of [...(r.pooled ? [r.pooled] : []), ...r.ledgers]) {
    const adj = l.adjust === "holm" ? "Holm" : "BH";
    out.push(l.tuned === 0 ? `#### Ledger over fine-tuning seeds: ${cell(l.spec)}` : `#### base → tuned #${l.tuned}: ${cell(l.spec)}`, "");
    out.push(`| | probe · metric | role | base | tuned | Δ [adj. CI] | p (${adj}) | n | verdict |`, "|---|---|---|---:|---:|---:|---:|---:|---|");
    for (const x of orderedRows(l)) {
      const verdict = verdictText(x);
      const v = x.verdict === "lost" ? `**${cell(verdict)}**` : x.verdict === "gained" ? `*${cell(verdict)}*` : cell(verdict);
      out.push(`| ${x.hidden_trade ? "❗" : ""} | ${cell(rowLabel(x))} | ${x.role === "proxy" ? "proxy" : "capab."} | ${cell(valueText(x, x.base))} | ${cell(valueText(x, x.tuned))} | ${cell(deltaText(x))} | ${cell(pText(x.p_adj))} | ${x.n} | ${v} |`);
    }
    out.push("");
    if (l.hidden_trades.length > 0) {
      out.push("**Hidden trades** (the probe's proxy gained while its capability lost):", "");
      for (const t of l.hidden_trades) out.push(`- ${cell(hiddenTradeText(t))}`);
      out.push("");
    }
    const missing = notMeasured(l);
    if (missing.length > 0) {
      out.push(...missing.map((m) => `- not measured: ${cell(m.probe)}: ${cell(m.reason)}`), "");
    }
  }
  const gate = gateText(r);
  if (gate !== undefined) out.push(r.gate.passed ? `✅ ${cell(gate)}` : `❌ ${cell(gate)}`, "");
  out.push(`<sub>α = ${r.ledgers[0]?.alpha ?? "?"} after adjustment across each ledger; shares in %, Δ in percentage points; Δ [adj. CI] = the interval at the level the row's adjusted test used (it excludes 0 exactly when significant). See docs/PROBES.md.</sub>`, "");
  return out.join("\n");
}
