/**
 * A hand-made run in a real store, whose every string a report prints is hostile: model
 * output, item text, specs, a domain and a note carry HTML that would run if unescaped.
 */
import { MANIFEST_SCHEMA, RESULT_SCHEMA, type AuditResultJson, type JsonRow, type Manifest, type RunStore } from "../../src/audit/index.js";
import type { Item, ItemRecord } from "../../src/probes/index.js";

export const EVIL_RESPONSE = "<script>alert(1)</script><img src=x onerror=alert(2)>";
export const EVIL_PROMPT = "Q: </pre></td><script>alert(3)</script>";
export const EVIL_ANSWER = '"><img src=y onerror=alert(4)>';
export const EVIL_DOMAIN = "<img src=z onerror=alert(5)>";
export const EVIL_SPEC = "builtin:</title><script>alert(6)</script>";
export const EVIL_NOTE = '" onmouseover="alert(7)';
export const FAKE_RUN = "00000000deadbeef";

function row(over: Partial<JsonRow>): JsonRow {
  return {
    probe: "task.accuracy", metric: "accuracy", role: "proxy", domain: EVIL_DOMAIN, kind: "binary", unit: "share", higher_is_better: true,
    formats: { base: "raw", tuned: "raw" }, tuned_in_base_format: false, base: 0.5, tuned: 0.25, delta: -0.25, ci_low: -0.5, ci_high: 0, ci_level: 0.95,
    p: 0.5, p_adj: 0.5, p_tost: 1, p_tost_adj: 1, significant: false, n: 4, clusters: 4, design_effect: null, measured: null, seeds: null, n_needed: null,
    verdict: "inconclusive", hidden_trade: false, test: "tango-score", effect: null, mde: 0.4, margin: 0.02,
    transitions: null, shared_by: [], note: EVIL_NOTE, ...over,
  };
}

/** Store the fake run (4 items, task.accuracy and diversity records for base and tuned1). */
export function putFakeRun(store: RunStore): void {
  const items: Item[] = [0, 1, 2, 3].map((i) => ({ id: `evil/${i}<b>`, prompt: EVIL_PROMPT, answer: EVIL_ANSWER, domain: EVIL_DOMAIN }));
  const manifest: Manifest = {
    schema: MANIFEST_SCHEMA,
    settings: { seed: 1, samples: 2, maxTokens: 16, batchSize: 4, sameFormat: true },
    models: [{ role: "base", index: 0, spec: EVIL_SPEC, id: "base-id", format: "raw" }, { role: "tuned", index: 1, spec: EVIL_SPEC, id: "tuned-id", format: "raw" }],
    arms: [{ key: "base", model: 0, format: "raw", probes: ["task.accuracy", "diversity"] }, { key: "tuned1", model: 1, format: "raw", probes: ["task.accuracy", "diversity"] }],
    probes: [{ id: "task.accuracy", version: 1 }, { id: "diversity", version: 1 }],
    items: { count: items.length, sha256: "0".repeat(64), sources: [EVIL_SPEC] },
  };
  store.beginRun(FAKE_RUN, manifest, items);
  const acc = (i: number, right: boolean, response: string): ItemRecord => ({ itemId: items[i].id, values: { accuracy: right ? 1 : 0 }, detail: { response, reason: EVIL_ANSWER } });
  items.forEach((_, i) => {
    store.putRecord(FAKE_RUN, "base", "task.accuracy", acc(i, i < 2, `base says ${EVIL_RESPONSE}`));
    store.putRecord(FAKE_RUN, "tuned1", "task.accuracy", acc(i, i === 0 || i === 2, EVIL_RESPONSE));
    for (const arm of ["base", "tuned1"]) {
      store.putRecord(FAKE_RUN, arm, "diversity", { itemId: items[i].id, values: { validity: 1, "distinct-2": 0.5 }, note: EVIL_NOTE, detail: { samples: [EVIL_RESPONSE, EVIL_RESPONSE] } });
    }
  });
  const rows: JsonRow[] = [
    row({ transitions: { gained: 1, lost: 1, churn: 0.5, gained_ids: [items[2].id], lost_ids: [items[1].id] } }),
    row({ probe: "diversity", metric: "validity", kind: "continuous", base: 1, tuned: 1, delta: 0, ci_low: 0, ci_high: 0 }),
    row({ probe: "diversity", metric: "distinct-2", role: "capability", kind: "continuous", base: 0.5, tuned: 0.5, delta: 0, ci_low: 0, ci_high: 0 }),
  ];
  const result: AuditResultJson = {
    schema: RESULT_SCHEMA, run_id: FAKE_RUN, store: store.path, resumed: false, manifest,
    ledgers: [{
      tuned: 1, spec: EVIL_SPEC, model_id: "tuned-id", adjust: "holm", alpha: 0.05, rows,
      hidden_trades: [{ probe: "diversity", domain: EVIL_DOMAIN, proxy: ["validity"], capability: [EVIL_DOMAIN] }],
      unavailable: [{ arm: "base", probe: "calibration", reason: EVIL_NOTE }], examples: {},
    }],
    gate: { rules: [EVIL_DOMAIN], passed: false, failures: [{ rule: EVIL_DOMAIN, tuned: 1, rows: [{ probe: "task.accuracy", metric: "accuracy", domain: EVIL_DOMAIN, delta: -0.25, verdict: "lost", reason: EVIL_NOTE }] }], untested: [] },
    pooled: null, records: { computed: 16, stored: 16 }, calls: {},
  };
  store.finishRun(FAKE_RUN, result);
}
