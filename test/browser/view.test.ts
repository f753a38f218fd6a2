/**
 * `ftledger view` in a real browser (Debian's headless Chromium, see ./chromium.ts), over
 * a temporary store with a real zoo run (two tuned models) and the hostile hand-made run:
 * the list links the runs, a click opens one (ledger tables, plots, a working explorer
 * under the viewer's CSP), the trajectory and compare pages load, hostile text stays
 * text, and no request leaves the local server. Screenshots land in test-artifacts/.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRunStore } from "../../src/audit/index.js";
import { startViewServer, type RunningViewServer } from "../../src/view/index.js";
import { EVIL_RESPONSE, EVIL_SPEC, FAKE_RUN, putFakeRun } from "../report/fake-run.js";
import { activeMarkup, drawnSvgCount, explorerShown, launchChromium, loggedPage, screenshot, skipBrowser } from "./chromium.js";
import { auditZooRun } from "./fixtures.js";

let dir: string;
let server: RunningViewServer | undefined;
let browser: Browser | undefined;
let realRun: string;

describe.skipIf(skipBrowser)("ftledger view in Chromium", () => {
  beforeAll(async () => {
    browser = await launchChromium(); // first: a missing browser fails before the audit
    dir = await mkdtemp(join(tmpdir(), "ftledger-browser-view-"));
    const store = openRunStore(join(dir, "store"));
    try {
      realRun = await auditZooRun(store);
      putFakeRun(store);
    } finally {
      store.close();
    }
    server = await startViewServer(join(dir, "store"), { port: 0 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("lists the runs, opens one with its ledgers and plots, then its trajectory and a comparison", async () => {
    const { page, log } = await loggedPage(browser!);
    const url = (path: string) => new URL(path, server!.url).href;

    // 1. the list: a link per run
    await page.goto(server!.url);
    expect(await page.getByRole("link", { name: realRun, exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole("link", { name: FAKE_RUN, exact: true }).isVisible()).toBe(true);
    await screenshot(page, "view-runs", true);

    // 2. a click opens the run: both ledgers, every plot drawn, the explorer's script allowed by the CSP
    await page.getByRole("link", { name: realRun, exact: true }).click();
    await page.waitForURL(url(`/runs/${realRun}`));
    expect(await page.locator("table.ledger").count()).toBe(2);
    expect(await page.locator("table.ledger").first().isVisible()).toBe(true);
    const svgs = await page.locator("svg").count();
    expect(svgs).toBeGreaterThanOrEqual(4);
    expect(await drawnSvgCount(page)).toBe(svgs);
    const all = (await explorerShown(page)).rows;
    await page.selectOption("#fx-kind", "lost");
    const lost = await page.locator('#fx-table tbody tr[data-kind="lost"]').count();
    expect(lost).toBeLessThan(all);
    expect(await explorerShown(page)).toEqual({ rows: lost, counter: lost });
    await screenshot(page, "view-run");

    // 3. its trajectory, from the nav bar
    await page.locator("nav.ftl-nav").getByRole("link", { name: "trajectory", exact: true }).click();
    await page.waitForURL(url(`/runs/${realRun}/trajectory`));
    expect(await drawnSvgCount(page)).toBeGreaterThanOrEqual(1);
    expect(await page.getByText("builtin:zoo/base-m").first().isVisible()).toBe(true);
    await screenshot(page, "view-trajectory", true);

    // 4. back to the list, and compare the real run with the hand-made one through the form
    await page.getByRole("link", { name: "ftledger view: all runs" }).click();
    await page.waitForURL(server!.url);
    await page.selectOption('select[name="a"]', realRun);
    await page.selectOption('select[name="b"]', FAKE_RUN);
    await page.getByRole("button", { name: "compare" }).click();
    await page.waitForURL(url(`/compare?a=${realRun}&b=${FAKE_RUN}`));
    expect(await page.getByText("task.accuracy · accuracy").first().isVisible()).toBe(true);
    await screenshot(page, "view-compare", true);

    expect(log.errors).toEqual([]);
    expect(log.dialogs).toEqual([]);
    expect(log.requests.length).toBeGreaterThanOrEqual(4);
    expect(log.requests.filter((r) => !r.startsWith(server!.url))).toEqual([]);
    await page.close();
  });

  it("shows the hostile run's <script> and <img onerror> text as text on the list and its page", async () => {
    const { page, log } = await loggedPage(browser!);
    await page.goto(server!.url);
    expect(await page.getByText(EVIL_SPEC).first().isVisible()).toBe(true);
    expect(await activeMarkup(page)).toEqual({ images: 0, handlers: 0, scripts: 0 }); // the viewer's own pages have no script
    await page.getByRole("link", { name: FAKE_RUN, exact: true }).click();
    await page.waitForURL(new URL(`/runs/${FAKE_RUN}`, server!.url).href);
    await screenshot(page, "view-hostile", true);
    expect(await activeMarkup(page)).toEqual({ images: 0, handlers: 0, scripts: 1 }); // the report's explorer script
    expect(await page.getByText("<script>alert(1)</script>").first().isVisible()).toBe(true);
    expect(await page.locator("#fx-table").textContent()).toContain(EVIL_RESPONSE);
    expect(log.dialogs).toEqual([]);
    expect(log.errors).toEqual([]);
    expect(log.requests.filter((r) => !r.startsWith(server!.url))).toEqual([]);
    await page.close();
  });
});
