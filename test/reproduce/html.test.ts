import { describe, expect, it } from "vitest";
import { renderReproduceHtml } from "../../src/reproduce/html.js";
import { niceTicks } from "../../src/reproduce/forest-plot.js";
import { REPRODUCE_SCHEMA, SMOKE_NOTE, type ClaimResult, type EffectResult, type ReproduceResult } from "../../src/reproduce/result.js";
import { escapeHtml } from "../../src/report/index.js";

const HOSTILE = `<script>alert(1)</script> "&'`;

function effect(over: Partial<EffectResult> = {}): EffectResult {
  return {
    label: "recall by generation", probe: "recall", metric: "generation", unit: "share",
    tuned: "sft", reference: "zoo/base-m", tunedMean: 0.62, referenceMean: 0.5,
    estimate: 0.12, ciLow: 0.07, ciHigh: 0.17, p: 0.0004, n: 40, clusters: 20,
    perSeed: [0.1, 0.13, 0.14], seedSd: 0.02,
    ...over,
  };
}

/** Claim 1: reproduced, with a proxy (nats) and a planted control, and hostile strings everywhere. */
const reproduced: ClaimResult = {
  id: 1, slug: "infogain", title: `Fine-tuning lowers recall ${HOSTILE}`,
  paper: { cite: "Doe et al. 2024", arxiv: "2401.01234", figure: "Fig. 3" },
  organism: `zoo/base-m tuned by SFT ${HOSTILE}`, verdict: "reproduced", reason: `the control reproduced ${HOSTILE}`,
  preregistration: "abc123", seeds: [1, 2, 3], n: 40, plannedMde: 0.05,
  effect: effect({ prediction: { direction: "increase", margin: 0.05 }, pTost: 0.9, verdict: "reproduced" }),
  proxy: effect({ label: `reward ${HOSTILE}`, probe: "task", metric: "logprob", unit: "nats", estimate: -0.25, ciLow: -0.4, ciHigh: -0.1, perSeed: [-0.2, -0.3, -0.25], tunedMean: -1.2, referenceMean: -0.95 }),
  control: { ...effect({ label: "planted recall", perSeed: [0.3, 0.31, 0.29], estimate: 0.3, ciLow: 0.25, ciHigh: 0.35, prediction: { direction: "increase", margin: 0.05 }, pTost: 1, verdict: "reproduced" }), describe: "a model trained on the answers" },
  runs: [{ arm: "sft", seed: 1, dir: `/tmp/runs/${HOSTILE}`, reused: false }, { arm: "sft", seed: 2, dir: "/tmp/runs/s2", reused: true }],
  auditRunId: "run-1", wallSeconds: 12.3,
};

const notRunnable: ClaimResult = {
  id: 2, slug: "rlhf-mode", title: "RLHF collapses modes", paper: { cite: "Roe 2023", arxiv: "2310.00001", figure: "Fig. 1" },
  organism: "none", verdict: "not runnable", reason: `no preference recipe ${HOSTILE}`, preregistration: "def456",
  seeds: [], n: 0, plannedMde: null, runs: [], wallSeconds: 0,
};

/** Claim 3: too few items for an interval (problem), no control. */
const withProblem: ClaimResult = {
  id: 3, slug: "forget", title: "Forgetting", paper: { cite: "Poe 2022", arxiv: "2201.00002", figure: "Table 2" },
  organism: "tiny", verdict: "inconclusive", preregistration: "0ff1ce", seeds: [7, 8], n: 4, plannedMde: null,
  effect: effect({ unit: "number", label: "length", estimate: -1.5, ciLow: NaN, ciHigh: NaN, p: NaN, perSeed: [-1, -2], prediction: { direction: "decrease", margin: 0.5 }, pTost: NaN, verdict: "inconclusive", problem: "too few items for an interval" }),
  runs: [{ arm: "sft", seed: 7, dir: "/tmp/r7", reused: false }], wallSeconds: 3,
};

function result(mode: "full" | "quick"): ReproduceResult {
  return {
    schema: REPRODUCE_SCHEMA, mode, command: `ftledger reproduce --all ${HOSTILE}`, commit: "deadbeef",
    startedAt: "2026-12-04T03:00:00Z", updatedAt: "2026-12-04T03:30:00Z", claims: [reproduced, notRunnable, withProblem],
  };
}

/** The text of one claim's section. */
function section(html: string, id: number): string {
  const m = html.match(new RegExp(`<section class="claim" id="claim-${id}">[\\s\\S]*?</section>`));
  if (!m) throw new Error(`no section for claim ${id}`);
  return m[0];
}

describe("renderReproduceHtml", () => {
  const full = renderReproduceHtml(result("full"));
  const quick = renderReproduceHtml(result("quick"));

  it("writes one section per claim, with its id", () => {
    for (const id of [1, 2, 3]) expect(full.match(new RegExp(`id="claim-${id}"`, "g"))).toHaveLength(1);
    expect(full.match(/<section class="claim"/g)).toHaveLength(3);
    expect(full).toContain('href="#claim-2"');
  });

  it("shows the smoke banner only in quick mode", () => {
    expect(quick).toContain(escapeHtml(SMOKE_NOTE));
    expect(quick).toContain('class="smoke"');
    expect(full).not.toContain(escapeHtml(SMOKE_NOTE));
    expect(full).not.toContain('class="smoke"');
  });

  it("escapes every string from the result", () => {
    expect(full).not.toMatch(/<script/i);
    expect(quick).not.toMatch(/<script/i);
    const escaped = escapeHtml(HOSTILE);
    expect(escaped).toContain("&lt;script&gt;");
    const s1 = section(full, 1);
    expect(s1).toContain(`Fine-tuning lowers recall ${escaped}`);
    expect(s1).toContain(`zoo/base-m tuned by SFT ${escaped}`);
    expect(s1).toContain(`the control reproduced ${escaped}`);
    expect(s1).toContain(`/tmp/runs/${escaped}`);
    expect(section(full, 2)).toContain(`no preference recipe ${escaped}`);
    expect(full).toContain(`ftledger reproduce --all ${escaped}`);
    expect(full).not.toContain(`"&'`);
  });

  it("draws one dot per seed in each row, and the interval only where there is one", () => {
    const s1 = section(full, 1);
    // judged (3 seeds) + proxy (3) + control (3)
    expect(s1.match(/<circle class="seed"/g)).toHaveLength(9);
    expect(s1.match(/<line class="ci"/g)).toHaveLength(3);
    expect(s1.match(/<rect class="pooled"/g)).toHaveLength(3);
    expect(s1).toContain("planted control");
    expect(s1).toContain("proxy (reported)");
    // the band: judged effect and control are predicted; the proxy is not
    expect(s1.match(/<rect class="band"/g)).toHaveLength(2);
    const s3 = section(full, 3);
    expect(s3.match(/<circle class="seed"/g)).toHaveLength(2);
    expect(s3).not.toContain('class="ci"');
    expect(s3).not.toContain('class="pooled"');
    expect(s3).toContain("no interval");
    expect(s3).toContain("too few items for an interval");
  });

  it("gives a not runnable claim its reason and no plot", () => {
    const s2 = section(full, 2);
    expect(s2).toContain("not runnable");
    expect(s2).not.toContain("<svg");
  });

  it("prints shares in percentage points, other units as signed plain values, NaN as —", () => {
    expect(full).toContain("+12.0 pp [+7.0, +17.0]");
    expect(full).toContain("increase &gt; +5.0 pp");
    expect(full).toContain("-0.250 nats [-0.400, -0.100]");
    expect(full).toContain("-1.500 [no interval]");
    expect(full).toContain("62.0%");
    // claim 3's p and TOST p are NaN
    const s3 = section(full, 3);
    expect(s3).not.toContain("NaN");
    expect(s3).toMatch(/<td class="num">—<\/td><td class="num">—<\/td>/);
  });

  it("colours each verdict's badge and shows the control's verdict in the summary", () => {
    expect(full).toContain('<span class="badge reproduced">reproduced</span>');
    expect(full).toContain('<span class="badge not-runnable">not runnable</span>');
    expect(full).toContain('<span class="badge inconclusive">inconclusive</span>');
    const summary = full.match(/<section id="summary">[\s\S]*?<\/section>/)![0];
    expect(summary.match(/badge reproduced/g)).toHaveLength(2); // claim 1 and its control
    expect(summary).toContain("40 × 3");
  });

  it("loads nothing: no src= and no href= except in-page anchors and arXiv links", () => {
    expect(full).not.toMatch(/\ssrc=/i);
    expect(full).not.toMatch(/<link\b/i);
    expect(full).not.toMatch(/url\(/i);
    const hrefs = [...full.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs.length).toBeGreaterThan(0);
    for (const h of hrefs) expect(h).toMatch(/^(#claim-\d+|https:\/\/arxiv\.org\/abs\/[\w./-]+)$/);
    expect(hrefs).toContain("https://arxiv.org/abs/2401.01234");
  });
});

describe("niceTicks", () => {
  it("covers the range with round steps", () => {
    expect(niceTicks(-3.2, 17.4)).toEqual([0, 5, 10, 15]);
    expect(niceTicks(-0.41, 0.02)).toEqual([-0.4, -0.3, -0.2, -0.1, 0]);
  });
});
