/**
 * A stored result whose number or enum fields hold text (a hand-made or foreign store)
 * is not rendered: those fields reach the HTML without escaping, so they must be what
 * they claim to be.
 */
import { describe, expect, it } from "vitest";
import { RESULT_SCHEMA } from "../../src/audit/index.js";
import { readAuditResult } from "../../src/report/index.js";

const row = {
  n: 10, verdict: "lost", role: "capability", base: 0.9, tuned: 0.5, delta: -0.4, ci_low: -0.6, ci_high: -0.2, p: 0.01, p_adj: 0.02,
  mde: 0.1, margin: 0.02, hidden_trade: false, higher_is_better: true, probe: "task.accuracy", metric: "accuracy",
};
const result = () => ({
  schema: RESULT_SCHEMA,
  manifest: { settings: { seed: 1, samples: 4, maxTokens: 160 }, items: { count: 10 } },
  ledgers: [{ tuned: 1, adjust: "holm", alpha: 0.05, rows: [{ ...row }] }],
});

describe("readAuditResult", () => {
  it("accepts a well-typed result (extra fields pass through)", () => {
    expect(readAuditResult(result())).toBeDefined();
  });

  it("refuses markup in a number's or an enum's place", () => {
    const XSS = "<img src=x onerror=alert(1)>";
    const a = result();
    (a.ledgers[0] as Record<string, unknown>).adjust = XSS;
    expect(readAuditResult(a)).toBeUndefined();
    const b = result();
    (b.ledgers[0].rows[0] as Record<string, unknown>).n = XSS;
    expect(readAuditResult(b)).toBeUndefined();
    const c = result();
    (c.manifest.settings as Record<string, unknown>).seed = XSS;
    expect(readAuditResult(c)).toBeUndefined();
    expect(readAuditResult({ ...result(), schema: "other" })).toBeUndefined();
  });
});
