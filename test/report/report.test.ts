/**
 * The report of a real run (zoo models through audit(): every plot has data) and of a
 * hand-made hostile run (every printed string carries HTML): self-contained, complete,
 * and inert — model text renders as text. test/browser/report.test.ts opens both in Chromium.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRunStore, type RunStore } from "../../src/audit/index.js";
import { escapeHtml, jsonForScript, renderHtml, renderMarkdown, reportInputFromStore, trajectoryPlot, type ReportInput } from "../../src/report/index.js";
import { auditZooRun } from "../browser/fixtures.js";
import { FAKE_RUN, putFakeRun } from "./fake-run.js";

let dir: string;
let store: RunStore;
let real: ReportInput;
let html: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-report-"));
  store = openRunStore(join(dir, "store"));
  // two tuned models (a trajectory); the second in another format, so it also has a same-format arm
  real = reportInputFromStore(store, await auditZooRun(store))!;
  html = await renderHtml(real);
  putFakeRun(store);
}, 60_000);

afterAll(async () => {
  store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the HTML report of a real run", () => {
  it("is self-contained: no URL, no external src or href, no stylesheet link", () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/<link\b|@import|url\(/i);
    for (const m of html.matchAll(/\shref="([^"]*)"/g)) expect(m[1]).toMatch(/^#[\w-]+$/);
    expect(html.match(/<script\b/g)).toHaveLength(1); // the explorer's filter, inline
    expect(html).toMatch(/<script>\(function \(\)/);
  });

  it("has each ledger with its rows, hidden trades first, and at least 4 plots", () => {
    expect(real.result.ledgers).toHaveLength(2);
    for (const l of real.result.ledgers) {
      expect(html).toContain(`id="ledger-${l.tuned}"`);
      expect(l.rows.length).toBeGreaterThan(10);
    }
    expect(html.match(/<table class="ledger">/g)).toHaveLength(2);
    expect(html).toContain("task.accuracy · accuracy @arithmetic [both raw]"); // tuned #2's same-format row
    expect(html).toContain("Δ [adj. CI]");
    const svgs = html.match(/<svg\b/g) ?? [];
    // 2 × (tradeoff, diversity) + trajectory + early answering, formats, N-1, calibration
    expect(svgs.length).toBe(9);
    for (const title of ["Tradeoff", "Diversity per domain", "Trajectory", "Early answering", "Format distribution", "ID vs N-1 accuracy", "Calibration"]) expect(html).toContain(title);
    expect(html).not.toContain("not measured in this run");
  });

  it("has the item explorer with both models' outputs of the changed items", () => {
    expect(html).toContain('<table id="fx-table" class="explorer">');
    const lost = real.result.ledgers[0].rows.reduce((s, r) => s + (r.transitions?.lost ?? 0), 0);
    expect(lost).toBeGreaterThan(0);
    const rows = html.match(/<tr data-probe="/g) ?? [];
    const total = real.result.ledgers.flatMap((l) => l.rows).reduce((s, r) => s + (r.transitions ? r.transitions.gained + r.transitions.lost : 0), 0);
    expect(rows.length).toBe(Math.min(300, total));
    expect(html).toContain('data-kind="lost"');
    expect(html).toContain('<select id="fx-model">'); // two tuned models
  });

  it("as Markdown: the ledger table of each tuned model", () => {
    const md = renderMarkdown(real);
    expect(md).toMatch(/^\| \| probe · metric \| role \| base \| tuned \| Δ \[adj\. CI\] \| p \(Holm\) \| n \| verdict \|$/m);
    expect(md).toContain("#### base → tuned #1: builtin:zoo/base-m");
    expect(md).toContain("#### base → tuned #2: builtin:zoo/base-s#template");
    const rows = md.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| | probe"));
    expect(rows.length).toBe(real.result.ledgers.reduce((s, l) => s + l.rows.length, 0));
    expect(md).not.toMatch(/https?:\/\//);
  });
});

describe("model text is inert", () => {
  it("a response with <script> and <img onerror> renders escaped, and so does every other stored string", async () => {
    const input = reportInputFromStore(store, FAKE_RUN)!;
    const page = await renderHtml(input);
    expect(page).not.toContain("<script>alert");
    expect(page).not.toMatch(/<img\b/i);
    expect(page).not.toContain('" onmouseover="');
    expect(page).not.toContain("</title><script>");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;");
    expect(page).toContain("Q: &lt;/pre&gt;&lt;/td&gt;&lt;script&gt;alert(3)");
    expect(page.match(/<script\b/g)).toHaveLength(1);
    // plots with no records say so in one line instead of drawing an empty box
    expect(page).toContain("not measured in this run: early-answering curves");
    const md = renderMarkdown(input);
    expect(md).not.toMatch(/<img|<script/i);
  });

  it("escapeHtml and jsonForScript escape what could end an element, attribute or script", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    const json = jsonForScript({ s: "</script><!-- & \u2028" });
    expect(json).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(json)).toEqual({ s: "</script><!-- & \u2028" });
  });
});

describe("files and plots", () => {
  it("a trajectory of one tuned model is a note, not an empty plot", async () => {
    expect(await trajectoryPlot(real.result.ledgers.slice(0, 1))).toMatch(/^<p class="not-measured">not measured in this run: a trajectory/);
    expect(await trajectoryPlot(real.result.ledgers)).toMatch(/^<svg /);
  });
});
