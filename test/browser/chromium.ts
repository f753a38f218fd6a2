/**
 * The browser the browser tests drive: Debian's Chromium (`apt-get install chromium`),
 * headless, through playwright-core — no browser is ever downloaded.
 *
 *   FTLEDGER_CHROMIUM=/path/to/chromium   another executable (default /usr/bin/chromium)
 *   FTLEDGER_REQUIRE_BROWSER=1            a missing browser fails the tests (CI sets it
 *                                         after installing chromium); otherwise they skip
 *
 * Each test records what a page did (requests, console errors, uncaught errors, dialogs)
 * so it can assert that nothing else happened, and keeps screenshots in test-artifacts/
 * (ignored by git) for a person to look at.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.FTLEDGER_CHROMIUM ?? "/usr/bin/chromium";
const REQUIRED = process.env.FTLEDGER_REQUIRE_BROWSER === "1";

/**
 * Skip the browser tests? Only when the browser is missing and not required: with
 * FTLEDGER_REQUIRE_BROWSER=1 the tests run and `launchChromium` fails them with the reason.
 */
export const skipBrowser = !existsSync(CHROMIUM) && !REQUIRED;

/** Where screenshots go: test-artifacts/ at the repository root (in .gitignore). */
export const ARTIFACTS = join(import.meta.dirname, "..", "..", "test-artifacts");

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}, and FTLEDGER_REQUIRE_BROWSER=1 says the browser tests must run: ` +
        "install Debian's chromium (apt-get install chromium) or point FTLEDGER_CHROMIUM at a Chromium executable.",
    );
  }
  await mkdir(ARTIFACTS, { recursive: true });
  // NOTE: --no-sandbox because CI containers run as root, where Chromium's sandbox refuses to start
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}

/** What a page did while a test drove it. */
export interface PageLog {
  requests: string[];
  dialogs: string[];
  /** console.error messages (CSP violations show up here) and uncaught exceptions */
  errors: string[];
}

/** A new page (1280 px wide) that logs every request, dialog and error; dialogs are dismissed. */
export async function loggedPage(browser: Browser): Promise<{ page: Page; log: PageLog }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const log: PageLog = { requests: [], dialogs: [], errors: [] };
  page.on("request", (r) => log.requests.push(r.url()));
  page.on("dialog", async (d) => {
    log.dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  page.on("console", (m) => {
    if (m.type() === "error") log.errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => log.errors.push(`pageerror: ${e.message}`));
  return { page, log };
}

/** The `<svg>` elements of the page that are visible, have a non-zero size and draw at least one mark. */
export async function drawnSvgCount(page: Page): Promise<number> {
  let n = 0;
  for (const svg of await page.locator("svg").all()) {
    const box = await svg.boundingBox();
    if (box && box.width > 0 && box.height > 0 && (await svg.isVisible()) && (await svg.locator("path, rect, line, text").count()) > 0) n++;
  }
  return n;
}

/** The explorer's rows that are shown, and what its counter says. */
export async function explorerShown(page: Page): Promise<{ rows: number; counter: number }> {
  return {
    rows: await page.locator("#fx-table tbody tr:visible").count(),
    counter: Number(await page.locator("#fx-count").textContent()),
  };
}

/** What model text could have made active: <img> elements, event-handler attributes, scripts (the report has one of its own). */
export async function activeMarkup(page: Page): Promise<{ images: number; handlers: number; scripts: number }> {
  return {
    images: await page.locator("img").count(),
    handlers: await page.locator("[onerror], [onload], [onmouseover], [onclick], [onfocus]").count(),
    scripts: await page.locator("script").count(),
  };
}

export function screenshot(page: Page, name: string, fullPage = false): Promise<Buffer> {
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}
