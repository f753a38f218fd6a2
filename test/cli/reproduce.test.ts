/**
 * `ftledger reproduce --quick` end to end: every runnable claim trains its arms (a few steps,
 * two seeds), is audited on a few items, pooled and judged; reproduce.json and the page are
 * written and labelled as a smoke run; a second run keeps the finished claims without training
 * or auditing again. The numbers of a quick run mean nothing and are not checked.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reproduceCommand } from "../../src/cli/commands/reproduce.js";
import { CLAIMS, type ReproduceResult } from "../../src/reproduce/index.js";

const out = mkdtempSync(join(tmpdir(), "ftledger-reproduce-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const read = () => JSON.parse(readFileSync(join(out, "reproduce.json"), "utf8")) as ReproduceResult;

describe("ftledger reproduce --quick", () => {
  it("runs every runnable claim end to end and writes reproduce.json and reproduce.html", async () => {
    const code = await reproduceCommand({ claims: [], quick: true, out, list: false, json: false, command: "ftledger reproduce --quick" });
    expect(code).toBe(0);
    const r = read();
    expect(r.mode).toBe("quick");
    expect(r.claims.map((c) => c.id)).toEqual(CLAIMS.map((c) => c.id));
    for (const c of r.claims) {
      const claim = CLAIMS.find((x) => x.id === c.id)!;
      if (claim.notRunnable) {
        expect(c.verdict).toBe("not runnable");
        expect(c.reason).toBe(claim.notRunnable);
        continue;
      }
      expect(c.seeds).toEqual([1, 2]);
      expect(c.effect?.verdict, `claim ${c.id}`).toBeDefined();
      expect(c.effect!.perSeed).toHaveLength(2);
      expect(c.effect!.n, `claim ${c.id}: items behind the effect`).toBeGreaterThan(0);
      expect(c.preregistration).toMatch(/^[0-9a-f]{64}$/);
      expect(c.runs.length).toBe(claim.arms.length * 2);
      if (claim.control) expect(c.control?.verdict ?? c.control?.problem).toBeDefined();
    }
    const html = readFileSync(join(out, "reproduce.html"), "utf8");
    expect(html).toMatch(/SMOKE RUN/);
    for (const c of CLAIMS) expect(html).toContain(`id="claim-${c.id}"`);
    const md = readFileSync(join(out, "reproduce.md"), "utf8");
    expect(md).toMatch(/SMOKE RUN/);
    expect(md.trim().split("\n").filter((l) => /^\| \d+ \|/.test(l))).toHaveLength(CLAIMS.length);
  }, 900_000);

  it("a second run keeps the finished claims: nothing is trained or audited again", async () => {
    const before = read();
    const code = await reproduceCommand({ claims: ["infogain"], quick: true, out, list: false, json: false, command: "ftledger reproduce --quick infogain" });
    expect(code).toBe(0);
    const after = read();
    expect(after.claims.find((c) => c.id === 3)).toEqual(before.claims.find((c) => c.id === 3));
    expect(after.claims).toHaveLength(before.claims.length);
    expect(existsSync(join(out, "store"))).toBe(true);
  }, 120_000);

  it("a run killed after training (no done marker, no result) resumes the run from its checkpoint and gives the same numbers", async () => {
    const before = read().claims.find((c) => c.id === 3)!;
    const run = before.runs[0].dir;
    rmSync(join(run, "reproduce-done"));
    writeFileSync(join(out, "reproduce.json"), "{ truncated");
    const code = await reproduceCommand({ claims: ["3"], quick: true, out, list: false, json: false, command: "ftledger reproduce --quick 3" });
    expect(code).toBe(0);
    const after = read().claims.find((c) => c.id === 3)!;
    expect(existsSync(join(run, "reproduce-done"))).toBe(true);
    expect(after.effect!.perSeed).toEqual(before.effect!.perSeed);
    expect(after.effect!.estimate).toBe(before.effect!.estimate);
    expect(after.runs.filter((r) => !r.reused).map((r) => r.dir)).toEqual([run]);
  }, 300_000);

  it("an unknown claim is bad input (exit 2) and names the valid ones", async () => {
    const code = await reproduceCommand({ claims: ["no-such-claim"], quick: true, out, list: false, json: false, command: "x" });
    expect(code).toBe(2);
  });
});
