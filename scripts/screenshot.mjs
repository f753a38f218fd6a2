/**
 * Regenerate docs/report.png, the README's picture of a report: the top of a real demo
 * report (run header, the first rows of the ledger, the tradeoff plot) in Debian's
 * headless Chromium at 1280 px wide, device scale 1 — the browser the test suite uses
 * (test/browser/chromium.ts), driven by playwright-core; no browser is downloaded.
 *
 *   npm run screenshot            # or: node scripts/screenshot.mjs [--fresh]
 *
 * The report it photographs:
 *   1. ./ftledger-demo/report.html, when a `npx ftledger demo` left one there that is
 *      newer than every file of the code that renders it (src/report, src/audit);
 *   2. otherwise (or with --fresh) `ftledger demo --steps 100 --n 20` from the sources
 *      (tsx) into <tmpdir>/ftledger-demo: about 70 s on two cores the first time; later
 *      runs reuse its fine-tune but audit afresh (about 30 s), so the picture shows a
 *      first run, not a resumed one.
 *
 * NOTE: the ledger has ~50 rows, so the picture keeps the first LEDGER_ROWS and says how
 * many it left out (in a row of its own), to show the tradeoff plot under the table.
 * Env: FTLEDGER_CHROMIUM (default /usr/bin/chromium). Exits 1 with the reason on failure.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(root, "docs", "report.png");
const CHROMIUM = process.env.FTLEDGER_CHROMIUM ?? "/usr/bin/chromium";
const WIDTH = 1280;
const MAX_HEIGHT = 1400;
const LEDGER_ROWS = 12;
const MAX_BYTES = 400 * 1024;

const fail = (message) => {
  throw new Error(message);
};

/** The newest modification time of any file under `dir`. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** 1. the user's demo report when it is fresh; 2. the cached temporary demo, rebuilt. */
function reportFile() {
  const local = join(root, "ftledger-demo", "report.html");
  const code = Math.max(newest(join(root, "src", "report")), newest(join(root, "src", "audit")));
  if (!process.argv.includes("--fresh") && existsSync(local) && statSync(local).mtimeMs > code) {
    process.stdout.write(`using ${local} (newer than src/report and src/audit)\n`);
    return local;
  }
  const demo = join(tmpdir(), "ftledger-demo");
  rmSync(join(demo, "store"), { recursive: true, force: true });
  process.stdout.write(`running ftledger demo --steps 100 --n 20 --out ${demo} (about 70 s the first time, 30 s later) …\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src", "cli", "main.ts"), "demo", "--steps", "100", "--n", "20", "--out", demo, "--quiet"], {
    cwd: root, stdio: ["ignore", "ignore", "inherit"],
  });
  if (r.status !== 0) fail(`ftledger demo exited ${r.status ?? r.signal}; run it by hand to see why.`);
  return join(demo, "report.html");
}

async function main() {
  if (!existsSync(CHROMIUM)) fail(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set FTLEDGER_CHROMIUM.`);
  const file = reportFile();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: MAX_HEIGHT }, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(file).href);
    // shorten the first ledger to LEDGER_ROWS rows, with a row saying how many it left out
    await page.evaluate(`(() => {
      const rows = Array.from(document.querySelectorAll("table.ledger")[0].tBodies[0].rows);
      if (rows.length <= ${LEDGER_ROWS}) return;
      rows.slice(${LEDGER_ROWS}).forEach((r) => { r.hidden = true; });
      const more = document.createElement("tr");
      more.innerHTML = '<td></td><td colspan="9" class="muted">⋯ ' + (rows.length - ${LEDGER_ROWS}) + " more rows in the report</td>";
      rows[0].parentNode.appendChild(more);
    })()`);
    const plot = await page.locator('section[id^="ledger-"] .plots figure').first().boundingBox();
    if (!plot) fail(`${file} has no tradeoff plot under its first ledger.`);
    const height = Math.min(MAX_HEIGHT, Math.ceil(plot.y + plot.height + 8));
    await mkdir(dirname(OUT), { recursive: true });
    const png = await page.screenshot({ path: OUT, clip: { x: 0, y: 0, width: WIDTH, height } });
    process.stdout.write(`wrote ${OUT} (${WIDTH}×${height}, ${(png.length / 1024).toFixed(0)} KB) from ${file}\n`);
    if (png.length > MAX_BYTES) fail(`${OUT} is over ${MAX_BYTES / 1024} KB; lower LEDGER_ROWS or MAX_HEIGHT in scripts/screenshot.mjs.`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  process.stderr.write(`screenshot: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
