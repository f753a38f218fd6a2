/**
 * reproduce.json as a Markdown table (OUT/reproduce.md): one row per claim with the judged
 * effect, its interval, the pre-registered prediction and planned MDE, the verdict, the
 * control's verdict and the paper's figure — what docs/CLAIMS.md and a pull-request comment
 * show. The numbers are formatted as on the HTML page.
 */
import { effectDeltaText, marginText, predictionText } from "./html.js";
import { SMOKE_NOTE, type ClaimResult, type ReproduceResult } from "./result.js";

/** Table cells must not break the row: pipes escaped, newlines folded. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

function row(c: ClaimResult): string {
  const e = c.effect;
  const seeds = c.seeds.length ? `${c.n} × ${c.seeds.length}` : "—";
  const mde = c.plannedMde !== null && e ? marginText(e.unit, c.plannedMde) : "—";
  const cells = e
    ? [
        `${c.id}`, c.slug, `${e.label}: ${e.tuned} − ${e.reference}`, effectDeltaText(e), predictionText(e.unit, e.prediction), mde, seeds,
        `**${c.verdict}**`, c.control ? (c.control.problem ? `not measurable (${c.control.problem})` : (c.control.verdict ?? "—")) : "—", c.paper.figure,
      ]
    : [`${c.id}`, c.slug, "—", "—", "—", "—", "—", `**${c.verdict}**`, "—", c.reason ?? c.paper.figure];
  return `| ${cells.map(cell).join(" | ")} |`;
}

export function renderReproduceMarkdown(r: ReproduceResult): string {
  const lines: string[] = [];
  if (r.mode === "quick") lines.push(`> ${SMOKE_NOTE}`, "");
  lines.push(
    "| # | claim | effect (tuned − reference) | Δ [95% CI] | predicted | planned MDE | n × seeds | verdict | control | the paper |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...r.claims.map(row),
  );
  return `${lines.join("\n")}\n`;
}
