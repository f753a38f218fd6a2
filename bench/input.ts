/**
 * `npm run bench:input`: what hostile or broken `--data` files cost `ftledger audit`, each
 * run as its own CLI process (from sources, like the tests) under /usr/bin/time for wall
 * time and peak RSS. Cases: a 10 MB line beside one good item (with --on-bad-line skip,
 * so the good item is audited), invalid UTF-8, UTF-16, a lone surrogate, a variant_of
 * cycle, a 300 MB file of 10 MB lines. Prints one line per case, then
 * `input cases=N worst_ms=W worst_rss_mb=M exit_codes=…`.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const dir = await mkdtemp(join(tmpdir(), "ftledger-bench-input-"));
const item = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, prompt: "Q: 2+2?\nA: ", answer: "4", ...extra });

async function hugeFile(path: string, lines: number, bytes: number): Promise<void> {
  const fh = await open(path, "w");
  const line = Buffer.from(JSON.stringify({ id: "x", prompt: "a".repeat(bytes), answer: "4" }) + "\n");
  for (let i = 0; i < lines; i++) await fh.write(line);
  await fh.close();
}

const cases: { name: string; make: (path: string) => Promise<void>; args?: string[] }[] = [
  { name: "10 MB line + 1 good item, --on-bad-line skip", args: ["--on-bad-line", "skip"], make: (p) => writeFile(p, `${item("good")}\n${JSON.stringify({ id: "big", prompt: "a".repeat(10_000_000), answer: "4" })}\n`) },
  { name: "invalid UTF-8 (0xFF 0xFE in an answer)", make: (p) => writeFile(p, Buffer.concat([Buffer.from('{"id":"a","prompt":"p","answer":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')])) },
  { name: "UTF-16 LE with BOM", make: (p) => writeFile(p, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(item("a") + "\n", "utf16le")])) },
  { name: "lone surrogate \\ud800 in a prompt", make: (p) => writeFile(p, '{"id":"a","prompt":"\\ud800","answer":"4"}\n') },
  { name: "variant_of cycle a → b → a", make: (p) => writeFile(p, `${item("a", { variant_of: "b" })}\n${item("b", { variant_of: "a" })}\n`) },
  { name: "300 MB file (30 lines of 10 MB)", make: (p) => hugeFile(p, 30, 10_000_000) },
];

const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
let worstMs = 0;
let worstRss = 0;
const codes: (number | null)[] = [];
for (const [i, c] of cases.entries()) {
  const data = join(dir, `case-${i}.jsonl`);
  await c.make(data);
  const cli = [process.execPath, "--import", "tsx", join(root, "src", "cli", "main.ts"), "audit", "--base", "builtin:zoo/base-s", "--tuned", "builtin:zoo/base-s",
    "--probes", "task.accuracy", "--data", data, "--store", join(dir, `store-${i}`), "--quiet", ...(c.args ?? [])];
  const t0 = performance.now();
  const r = timeBin ? spawnSync(timeBin, ["-f", "RSS_KB=%M", ...cli], { cwd: root, encoding: "utf8" }) : spawnSync(cli[0], cli.slice(1), { cwd: root, encoding: "utf8" });
  const ms = performance.now() - t0;
  const rssKb = Number(/RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const said = r.stderr.split("\n").find((l) => l.startsWith("ftledger")) ?? "";
  worstMs = Math.max(worstMs, ms);
  if (Number.isFinite(rssKb)) worstRss = Math.max(worstRss, rssKb / 1024);
  codes.push(r.status);
  console.log(`${c.name}: exit ${r.status}, ${(ms / 1000).toFixed(2)} s, peak RSS ${Number.isFinite(rssKb) ? `${(rssKb / 1024).toFixed(0)} MB` : "n/a (no /usr/bin/time)"}`);
  if (said) console.log(`  ${said.slice(0, 200)}`);
}
await rm(dir, { recursive: true, force: true });
console.log(`input cases=${cases.length} worst_ms=${worstMs.toFixed(0)} worst_rss_mb=${worstRss.toFixed(0)} exit_codes=${codes.join(",")}`);
