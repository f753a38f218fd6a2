/**
 * Reports of a stored audit run: one self-contained HTML file (ledger tables, plots
 * rendered to inline SVG by Vega-Lite, an item explorer; nothing loaded from a network),
 * Markdown for a pull-request comment, and the result JSON itself.
 *
 *   const input = reportInputFromStore(store, runId);   // or { result, items, records }
 *   await writeTextAtomic("report.html", await renderHtml(input));   // from ftledger/formats
 */
// what a report is made of
export { reportInputFromStore, readAuditResult, plotArms, type ReportInput, type PlotArm } from "./data.js";

// whole documents
export { renderHtml, ledgerTableHtml, REPORT_CSS } from "./html.js";
export { renderDiffHtml, renderSweepHtml, diffHeatmap, dosePlot, type SweepReport } from "./weights.js";
export { renderMarkdown } from "./markdown.js";
export { renderJson } from "./json.js";

// plots: each resolves to inline HTML, an <svg> or a one-line "not measured in this run" note
export { tradeoffPlot, diversityPlot, trajectoryPlot } from "./plots.js";
export { earlyAnsweringPlot, formatPlot, n1Plot, calibrationPlot } from "./plots-records.js";
export { renderSvg, notMeasuredNote } from "./render.js";

// the item explorer and escaping, for viewers that build their own pages
export { explorerHtml, explorerRows, outputText, EXPLORER_MAX_ROWS, type ExplorerRow } from "./explorer.js";
export { escapeHtml, jsonForScript } from "./escape.js";
export {
  rowLabel, valueText, signedText, deltaUnit, deltaText, pText, verdictText, orderedRows, notMeasured, hiddenTradeText, gateText, rowDetailText,
  summarize, summaryLines, itemsToSettle, itemsText, type LedgerSummary, type LedgerJson,
} from "./ledger-text.js";
