/**
 * The item explorer: for every binary ledger row, the items that changed — gained (base
 * wrong, tuned right) and lost (base right, tuned wrong) — with the prompt, the gold
 * answer and both models' outputs side by side, from the stored records' `detail`. All
 * of it is model or dataset text, so every cell goes through escapeHtml; the filter
 * script reads only data-* attributes and the rows' text.
 */
import { armKey, type JsonRow } from "../audit/index.js";
import { clipText, type Item, type ItemRecord } from "../probes/index.js";
import type { ReportInput } from "./data.js";
import { escapeHtml } from "./escape.js";
import { rowLabel } from "./ledger-text.js";

/** Rows shown at most: beyond this the page gets slow and the JSON has them all. */
export const EXPLORER_MAX_ROWS = 300;
const PROMPT_CHARS = 500;
const OUTPUT_CHARS = 700;

export interface ExplorerRow {
  tuned: number;
  id: string;
  label: string;
  kind: "gained" | "lost";
  prompt: string;
  answer: string;
  base: string;
  tuned_output: string;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === "string" ? x : typeof x === "number" ? String(x) : undefined);

/** Short fields worth showing after the response, when a probe records them. */
const EXTRA_FIELDS = ["answer", "fillerAnswer", "paraphraseAnswer", "continuedAnswer", "reason", "error"] as const;

/**
 * The output a record shows for `metric`: its response (the N-1 probe's parent or variant
 * response; format-collapse's samples; the chosen option of a ranking), then a few short
 * fields; as a last resort the detail's JSON.
 */
export function outputText(record: ItemRecord | undefined, metric: string): string {
  if (!record) return "(no record)";
  const d = record.detail ?? {};
  const lines: string[] = [];
  const nested = metric === "id-accuracy" ? d.parent : metric === "n1-accuracy" ? d.variant : undefined;
  if (isObject(nested)) {
    lines.push(str(nested.response) ?? "(no response)");
    if (str(nested.reason)) lines.push(`reason: ${str(nested.reason)}`);
    if (str(nested.error)) lines.push(`error: ${str(nested.error)}`);
  } else if (str(d.response) !== undefined) {
    lines.push(str(d.response)!);
  } else if (Array.isArray(d.samples)) {
    d.samples.slice(0, 4).forEach((s, i) => {
      if (isObject(s)) lines.push(`[${i + 1}: ${str(s.format) ?? "?"}${s.correct === true ? ", correct" : s.correct === false ? ", wrong" : ""}] ${str(s.text) ?? ""}`);
      else if (str(s) !== undefined) lines.push(`[${i + 1}] ${str(s)}`);
    });
  } else if (str(d.chosen) !== undefined) {
    lines.push(`chosen: ${str(d.chosen)}`);
  }
  if (!isObject(nested)) for (const f of EXTRA_FIELDS) if (str(d[f]) !== undefined) lines.push(`${f}: ${str(d[f])}`);
  if (lines.length === 0) lines.push(JSON.stringify(d));
  if (record.note) lines.push(`note: ${record.note}`);
  return lines.join("\n");
}

/** The arm that holds a row's tuned records. */
function tunedArm(tuned: number, r: JsonRow): string {
  return armKey({ index: tuned, inBaseFormat: r.tuned_in_base_format });
}

/** Every transition of every binary row, lost before gained, hidden-trade rows first; `total` counts them all. */
export function explorerRows(input: ReportInput, max = EXPLORER_MAX_ROWS): { rows: ExplorerRow[]; total: number } {
  const items = new Map<string, Item>(input.items.map((it) => [it.id, it]));
  const rows: ExplorerRow[] = [];
  let total = 0;
  for (const l of input.result.ledgers) {
    const ordered = [...l.rows.filter((r) => r.hidden_trade), ...l.rows.filter((r) => !r.hidden_trade)];
    for (const r of ordered) {
      if (!r.transitions) continue;
      const byId = (arm: string) => new Map(input.records(arm, r.probe).map((x) => [x.itemId, x]));
      let base: Map<string, ItemRecord> | undefined;
      let tuned: Map<string, ItemRecord> | undefined;
      for (const [kind, ids] of [["lost", r.transitions.lost_ids], ["gained", r.transitions.gained_ids]] as const) {
        for (const id of ids) {
          total++;
          if (rows.length >= max) continue;
          base ??= byId("base");
          tuned ??= byId(tunedArm(l.tuned, r));
          const b = base.get(id);
          // the N-1 probe's id-accuracy is about the parent item: show its prompt and gold
          const parentId = r.metric === "id-accuracy" ? str(b?.detail.parentId) : undefined;
          const item = items.get(parentId ?? id);
          rows.push({
            tuned: l.tuned, id: parentId ? `${id} (parent ${parentId})` : id, label: rowLabel(r), kind,
            prompt: clipText(item?.prompt ?? "(item not stored)", PROMPT_CHARS), answer: clipText(item?.answer ?? "", PROMPT_CHARS),
            base: clipText(outputText(b, r.metric), OUTPUT_CHARS), tuned_output: clipText(outputText(tuned.get(id), r.metric), OUTPUT_CHARS),
          });
        }
      }
    }
  }
  return { rows, total };
}

const FILTER_SCRIPT = `(function () {
  var table = document.getElementById("fx-table");
  if (!table) return;
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var probe = document.getElementById("fx-probe"), kind = document.getElementById("fx-kind"), model = document.getElementById("fx-model");
  var q = document.getElementById("fx-q"), count = document.getElementById("fx-count");
  function apply() {
    var s = q.value.trim().toLowerCase(), shown = 0;
    rows.forEach(function (r) {
      var ok = (!probe.value || r.getAttribute("data-probe") === probe.value) &&
        (!kind.value || r.getAttribute("data-kind") === kind.value) &&
        (!model || !model.value || r.getAttribute("data-tuned") === model.value) &&
        (!s || r.textContent.toLowerCase().indexOf(s) >= 0);
      r.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = String(shown);
  }
  [probe, kind, model].forEach(function (e) { if (e) e.addEventListener("change", apply); });
  q.addEventListener("input", apply);
})();`;

/** The explorer's section, and its inline filter script (to be put at the end of the body). */
export function explorerHtml(input: ReportInput): { html: string; script: string } {
  const { rows, total } = explorerRows(input);
  const head = `<h2>Item explorer</h2>`;
  if (total === 0) {
    return { html: `<section id="explorer">${head}<p class="not-measured">not measured in this run: no binary row has an item that changed (gained or lost)</p></section>`, script: "" };
  }
  const several = input.result.ledgers.length > 1;
  const labels = [...new Set(rows.map((r) => r.label))];
  const option = (v: string, text = v) => `<option value="${escapeHtml(v)}">${escapeHtml(text)}</option>`;
  const filters = [
    `<label>metric <select id="fx-probe">${option("", "all")}${labels.map((l) => option(l)).join("")}</select></label>`,
    `<label>change <select id="fx-kind">${option("", "gained and lost")}${option("lost")}${option("gained")}</select></label>`,
    ...(several ? [`<label>model <select id="fx-model">${option("", "all")}${input.result.ledgers.map((l) => option(String(l.tuned), `tuned #${l.tuned}`)).join("")}</select></label>`] : []),
    `<label>search <input id="fx-q" type="search" placeholder="text in any cell"></label>`,
    `<span class="count"><span id="fx-count">${rows.length}</span> of ${rows.length} shown</span>`,
  ].join(" ");
  const cap = total > rows.length ? `<p class="note">Showing the first ${rows.length} of ${total} changed items; the run's JSON lists every id (rows[].transitions).</p>` : "";
  const pre = (s: string) => `<pre>${escapeHtml(s)}</pre>`;
  const body = rows.map((r) =>
    `<tr data-probe="${escapeHtml(r.label)}" data-kind="${r.kind}" data-tuned="${r.tuned}">` +
    `<td class="id">${escapeHtml(r.id)}</td><td>${escapeHtml(r.label)}${several ? `<br><span class="muted">tuned #${r.tuned}</span>` : ""}</td>` +
    `<td><span class="chip ${r.kind}">${r.kind}</span></td><td>${pre(r.prompt)}</td><td>${pre(r.answer)}</td><td>${pre(r.base)}</td><td>${pre(r.tuned_output)}</td></tr>`).join("\n");
  const html = `<section id="explorer">${head}
<p class="note">Items whose binary metric changed between the models: <b>gained</b> = base wrong, tuned right; <b>lost</b> = base right, tuned wrong. Outputs are clipped.</p>
<div class="filters">${filters}</div>${cap}
<div class="scroll"><table id="fx-table" class="explorer"><colgroup><col style="width: 10%"><col style="width: 13%"><col style="width: 6%"><col style="width: 21%"><col style="width: 8%"><col style="width: 21%"><col style="width: 21%"></colgroup><thead><tr><th>item</th><th>probe · metric</th><th>change</th><th>prompt</th><th>gold</th><th>base output</th><th>tuned output</th></tr></thead>
<tbody>
${body}
</tbody></table></div></section>`;
  return { html, script: FILTER_SCRIPT };
}
