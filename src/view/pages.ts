/**
 * The viewer's own pages: the list of runs (with the compare form), a run that has no
 * ledger yet, and the 400 / 404 / 500 pages. Every string from the store is escaped.
 */
import { escapeHtml, hiddenTradeCount, page, runHref, verdictCounts, VERDICTS, type ModelEntry, type RunOverview } from "./html.js";

const e = escapeHtml;

function modelHtml(m: ModelEntry | undefined): string {
  if (!m) return `<span class="muted">—</span>`;
  return `<span class="mono" title="${e(m.id)}">${e(m.spec || m.id)}</span>`;
}

function tunedHtml(tuned: ModelEntry[]): string {
  if (tuned.length === 0) return `<span class="muted">—</span>`;
  const specs = tuned.map((t) => `#${t.index} ${t.spec || t.id}`).join("\n");
  const first = tuned[0].spec || tuned[0].id;
  return `${tuned.length} <span class="mono muted" title="${e(specs)}">(${e(first)}${tuned.length > 1 ? ", …" : ""})</span>`;
}

function verdictsHtml(r: RunOverview): string {
  if (!r.result) return `<span class="muted">—</span>`;
  const c = verdictCounts(r.result);
  return VERDICTS.map((v) => `<span class="v-${v}" title="${v}">${c[v]} ${v}</span>`).join(" · ");
}

/** A run's one-line name in pickers: its id, base and first tuned model. */
export function runName(r: RunOverview): string {
  const tuned = r.tuned.length === 0 ? "?" : r.tuned.length === 1 ? r.tuned[0].spec : `${r.tuned.length} tuned`;
  return `${r.id} · ${r.base?.spec ?? "?"} → ${tuned} · ${r.created.slice(0, 19).replace("T", " ")}`;
}

/** The compare form: two pickers over the runs that have a ledger. */
export function compareForm(runs: RunOverview[], a?: string, b?: string): string {
  const done = runs.filter((r) => r.result);
  if (done.length === 0) return `<p class="muted">No complete run to compare yet.</p>`;
  const options = (selected: string | undefined) =>
    done.map((r) => `<option value="${e(r.id)}"${r.id === selected ? " selected" : ""}>${e(runName(r))}</option>`).join("");
  return `<form class="inline" method="get" action="/compare">
<label>A <select name="a">${options(a ?? done[1]?.id ?? done[0].id)}</select></label>
<label>B <select name="b">${options(b ?? done[0].id)}</select></label>
<button type="submit">compare</button></form>`;
}

/** GET /: every run, newest first. */
export function runsPage(runs: RunOverview[], storePath: string): string {
  const rows = runs.map((r) => {
    const links = [`<a href="${e(runHref(r.id))}">ledger</a>`];
    if (r.tuned.length > 1 && r.result) links.push(`<a href="${e(runHref(r.id))}/trajectory">trajectory</a>`);
    return `<tr>
<td class="mono"><a href="${e(runHref(r.id))}">${e(r.id)}</a></td>
<td class="mono">${e(r.created.slice(0, 19).replace("T", " "))}</td>
<td>${r.status === "complete" ? "complete" : `<span class="v-inconclusive">${e(r.status)}</span>`}</td>
<td>${modelHtml(r.base)}</td>
<td>${tunedHtml(r.tuned)}</td>
<td class="num">${r.items ?? "—"}</td>
<td class="num">${r.result ? hiddenTradeCount(r.result) : "—"}</td>
<td>${verdictsHtml(r)}</td>
<td>${links.join(" · ")}</td></tr>`;
  });
  const table = runs.length === 0
    ? `<p class="note">This store has no runs yet. Run <code>ftledger audit --store …</code> to make one.</p>`
    : `<table><thead><tr><th>run</th><th>created (UTC)</th><th>status</th><th>base</th><th>tuned</th><th>items</th><th>hidden trades</th><th>rows by verdict</th><th></th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table>`;
  return page("ftledger runs", `<h1>Runs</h1>
<p class="muted">Store <code>${e(storePath)}</code> · ${runs.length} run${runs.length === 1 ? "" : "s"}, newest first.</p>
${table}
<h2>Compare two runs</h2>
${compareForm(runs)}`);
}

/** GET /runs/:id for a run with no ledger yet: still running, or stopped before the end. */
export function runningRunPage(r: RunOverview, records: number): string {
  const models = [r.base, ...r.tuned].filter((m): m is ModelEntry => m !== undefined)
    .map((m) => `<tr><td>${m.role === "base" ? "base" : `tuned #${m.index}`}</td><td class="mono">${e(m.spec)}</td><td class="mono">${e(m.id)}</td><td>${e(m.format)}</td></tr>`);
  const why = r.status === "running"
    ? `This run is still running, or it was stopped before it finished (last record stored ${e(r.updated)}). It has no ledger yet: ${records} records are stored. Run the same <code>ftledger audit</code> command with the same store to resume it; nothing stored is computed again.`
    : `This run (status ${e(r.status)}) has no ledger this viewer can read; <a href="/api/runs/${e(encodeURIComponent(r.id))}">its stored JSON</a> shows what it holds.`;
  return page(`run ${r.id} (running)`, `<h1>Run <span class="mono">${e(r.id)}</span></h1>
<p class="note">${why}</p>
<h2>Models</h2>
<table><thead><tr><th>role</th><th>spec</th><th>id</th><th>format</th></tr></thead><tbody>${models.join("")}</tbody></table>
<p>Items: ${r.items ?? "—"} · probes: ${r.probes.map((p) => `<code>${e(p)}</code>`).join(", ") || "—"}</p>`);
}

/** A 400 / 404 / 500 page: what went wrong and the way back. */
export function messagePage(status: number, title: string, message: string): string {
  return page(`${status} ${title}`, `<h1>${status} ${e(title)}</h1><p class="error">${e(message)}</p><p><a href="/">Back to the list of runs</a></p>`);
}
