/**
 * `ftledger audit` writes the run's HTML report to <store>/reports/<run-id>.html every
 * time (atomically), plus --report and --markdown; an unwritable path is bad input.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ftledger } from "../cli/run-cli.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-cli-report-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RUN = ["audit", "--base", "builtin:zoo/base-s", "--tuned", "builtin:zoo/base-m", "--tuned-format", "raw", "--probes", "task.accuracy", "calibration", "--suite", "knowledge", "--n", "4"];

describe("ftledger audit --report --markdown", () => {
  it("writes the store's report, the --report copy and the Markdown, and names them on stderr", async () => {
    const store = join(dir, "store");
    const r = ftledger(...RUN, "--store", store, "--report", join(dir, "out", "r.html"), "--markdown", join(dir, "r.md"), "--json");
    expect(r.code).toBe(0);
    const runId = (JSON.parse(r.stdout) as { run_id: string }).run_id;
    const stored = join(store, "reports", `${runId}.html`);
    expect(r.stderr).toContain(`report: ${stored}\n`);
    expect(r.stderr).toContain(`report: ${join(dir, "out", "r.html")}\n`);
    expect(r.stderr).toContain(`markdown: ${join(dir, "r.md")}\n`);
    const html = await readFile(stored, "utf8");
    expect(await readFile(join(dir, "out", "r.html"), "utf8")).toBe(html);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<table class="ledger">');
    expect(html).toMatch(/<svg /);
    expect(html).not.toMatch(/https?:\/\//);
    expect(await readdir(join(store, "reports"))).toEqual([`${runId}.html`]); // no temporary file left
    expect(await readFile(join(dir, "r.md"), "utf8")).toMatch(/\| \| probe · metric \| role \|/);

    // --quiet: nothing on stderr, and the store's report is still written; a --report that cannot be written is bad input
    await rm(stored);
    await writeFile(join(dir, "file"), "x");
    const bad = ftledger(...RUN, "--store", store, "--report", join(dir, "file", "r.html"), "--quiet");
    expect(existsSync(stored)).toBe(true);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ftledger audit: cannot write the report .*file\/r\.html \(E[A-Z]+\); give --report a writable path\n$/);
  }, 60_000);
});
