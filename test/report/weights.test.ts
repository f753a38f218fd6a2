/** The weights pages: self-contained, escaped, and drawing what they say. */
import { describe, expect, it } from "vitest";
import { doseResponse } from "../../src/audit/index.js";
import { ledger, row } from "../helpers/ledger-rows.js";
import { renderSweepHtml } from "../../src/report/index.js";


describe("renderSweepHtml", () => {
  it("draws the curves with the kept dose and escapes every label", async () => {
    const dose = doseResponse([0, 0.5, 1], [
      ledger(1, [row({ role: "proxy", probe: "task" }), row({})]),
      ledger(2, [row({ role: "proxy", probe: "task", delta: 0.2, ci_low: 0.1, ci_high: 0.3 }), row({ delta: -0.01, ci_low: -0.03, ci_high: 0.01 })]),
      ledger(3, [row({ role: "proxy", probe: "task", delta: 0.4, ci_low: 0.3, ci_high: 0.5 }), row({ delta: -0.2, ci_low: -0.3, ci_high: -0.1 })]),
    ]);
    expect(dose.keep_alpha).toBe(0.5);
    const html = await renderSweepHtml({ ...dose, base: "<script>alert(1)</script>", tuned: "runs/x&y", revert: null, run_id: "r1" });
    expect(html).toContain("Keep α = 0.5");
    expect(html).toMatch(/<svg/);
    expect(html).toContain("green: the kept dose α = 0.5");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toMatch(/<script[^>]*src=|https?:\/\//);
  });
});
