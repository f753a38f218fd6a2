/**
 * The HTML report in a real browser (Debian's headless Chromium, see ./chromium.ts): it
 * opens from a file with no request beyond the file itself, its plots draw, the item
 * explorer filters, and a hostile run's model text (<script>, <img onerror>) is text.
 * Screenshots land in test-artifacts/.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRunStore } from "../../src/audit/index.js";
import { renderHtml, reportInputFromStore } from "../../src/report/index.js";
import { writeTextAtomic } from "../../src/formats/index.js";
import { EVIL_RESPONSE, EVIL_SPEC, FAKE_RUN, putFakeRun } from "../report/fake-run.js";
import { activeMarkup, drawnSvgCount, explorerShown, launchChromium, loggedPage, screenshot, skipBrowser } from "./chromium.js";
import { auditZooRun } from "./fixtures.js";

let dir: string;
let browser: Browser | undefined;
let realUrl: string, evilUrl: string;

describe.skipIf(skipBrowser)("the report in Chromium", () => {
  beforeAll(async () => {
    browser = await launchChromium(); // first: a missing browser fails before the audit
    dir = await mkdtemp(join(tmpdir(), "ftledger-browser-report-"));
    const store = openRunStore(join(dir, "store"));
    try {
      const runId = await auditZooRun(store);
      putFakeRun(store);
      const real = join(dir, "real.html"), evil = join(dir, "evil.html");
      await writeTextAtomic(real, await renderHtml(reportInputFromStore(store, runId)!));
      await writeTextAtomic(evil, await renderHtml(reportInputFromStore(store, FAKE_RUN)!));
      realUrl = pathToFileURL(real).href;
      evilUrl = pathToFileURL(evil).href;
    } finally {
      store.close();
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Rows of the explorer's table that match a CSS attribute test, e.g. `[data-kind="lost"]`. */
  const rowsWhere = (page: Page, attr: string) => page.locator(`#fx-table tbody tr${attr}`).count();

  it("opens from the file with no other request, draws every plot and filters the explorer", async () => {
    const { page, log } = await loggedPage(browser!);
    await page.goto(realUrl);
    await screenshot(page, "report", true);

    // plots: 2 × (tradeoff, diversity) + trajectory + early answering, formats, N-1, calibration
    const svgs = await page.locator("svg").count();
    expect(svgs).toBeGreaterThanOrEqual(4);
    expect(await drawnSvgCount(page)).toBe(svgs);
    expect(await page.locator("table.ledger").count()).toBe(2);
    expect(await page.locator("table.ledger").first().isVisible()).toBe(true);

    // 1. every changed item is shown at first
    const all = await rowsWhere(page, "");
    expect(all).toBeGreaterThan(1);
    expect(await explorerShown(page)).toEqual({ rows: all, counter: all });

    // 2. by kind: only the lost ones
    await page.selectOption("#fx-kind", "lost");
    const lost = await rowsWhere(page, '[data-kind="lost"]');
    expect(lost).toBeGreaterThan(0);
    expect(lost).toBeLessThan(all);
    expect(await explorerShown(page)).toEqual({ rows: lost, counter: lost });
    expect(await rowsWhere(page, '[data-kind="gained"]:visible')).toBe(0);
    await page.selectOption("#fx-kind", "");

    // 3. by model, then by metric
    await page.selectOption("#fx-model", "2");
    const second = await rowsWhere(page, '[data-tuned="2"]');
    expect(await explorerShown(page)).toEqual({ rows: second, counter: second });
    await page.selectOption("#fx-model", "");
    const metric = await page.locator("#fx-probe option").nth(1).getAttribute("value");
    expect(metric).toBeTruthy();
    await page.selectOption("#fx-probe", metric!);
    const ofMetric = await rowsWhere(page, `[data-probe=${JSON.stringify(metric)}]`);
    expect(ofMetric).toBeGreaterThan(0);
    expect(await explorerShown(page)).toEqual({ rows: ofMetric, counter: ofMetric });
    await page.selectOption("#fx-probe", "");

    // 4. search: an item id shows the rows that mention it; nonsense shows none; empty shows all
    const id = (await page.locator("#fx-table tbody tr td.id").first().textContent())!;
    await page.fill("#fx-q", id);
    const found = await explorerShown(page);
    expect(found.rows).toBeGreaterThan(0);
    expect(found.rows).toBeLessThan(all);
    expect(found.counter).toBe(found.rows);
    expect(await page.locator("#fx-table tbody tr:visible").filter({ hasNotText: id }).count()).toBe(0);
    await page.locator("#explorer").scrollIntoViewIfNeeded();
    await screenshot(page, "report-explorer-search");
    await page.fill("#fx-q", "no such text anywhere 1234");
    expect(await explorerShown(page)).toEqual({ rows: 0, counter: 0 });
    await page.fill("#fx-q", "");
    expect(await explorerShown(page)).toEqual({ rows: all, counter: all });

    expect(log.errors).toEqual([]);
    expect(log.dialogs).toEqual([]);
    expect(log.requests).toEqual([realUrl]);
    await page.close();
  });

  it("shows a hostile run's <script> and <img onerror> model text as text, and runs none of it", async () => {
    const { page, log } = await loggedPage(browser!);
    await page.goto(evilUrl);
    await screenshot(page, "report-hostile", true);
    expect(await activeMarkup(page)).toEqual({ images: 0, handlers: 0, scripts: 1 }); // the explorer's own script
    expect(await page.getByText("<script>alert(1)</script>").first().isVisible()).toBe(true);
    expect(await page.locator("#fx-table").textContent()).toContain(EVIL_RESPONSE);
    expect(await page.title()).toContain(EVIL_SPEC);
    expect(await explorerShown(page)).toEqual({ rows: 2, counter: 2 }); // the explorer still works
    expect(log.dialogs).toEqual([]);
    expect(log.errors).toEqual([]);
    expect(log.requests).toEqual([evilUrl]);
    // the control: a dialog the page does open is seen, so the empty list above means something
    await page.evaluate("alert('control')");
    expect(log.dialogs).toEqual(["alert: control"]);
    await page.close();
  });
});
