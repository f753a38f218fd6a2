/**
 * `ftledger lab summary RUN`: what a run's metrics.jsonl says, with its uncertainty —
 * updates, wall time and the loss's start and end; for runs that report a reward (grpo):
 * the mean reward of the first and the last quarter of rollouts with a bootstrap CI of
 * the difference, a rising-trend permutation test over all rollouts, the solution-format
 * shares of those quarters, and the final KL to the reference.
 */
import { join } from "node:path";
import { formatTextError, readTextLines, TEXT_LIMITS } from "../../formats/index.js";
import { bootstrapMeanDifference, risingTrend } from "../../stats/index.js";

const out = (s: string) => process.stdout.write(s + "\n");
const err = (s: string) => process.stderr.write(`ftledger: ${s}\n`);

interface MetricsLine {
  step: number;
  loss: number;
  ms: number;
  rollout?: number;
  reward?: number;
  kl?: number;
  formats?: Record<string, number>;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const fixed = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(3)}` : "n/a");

/** The lines of a run's metrics.jsonl; a line cut short by a kill is skipped. */
async function readMetrics(run: string): Promise<{ ok: true; lines: MetricsLine[] } | { ok: false; message: string }> {
  const file = join(run, "metrics.jsonl");
  const lines: MetricsLine[] = [];
  // streamed: a long run's log need not fit in memory as one string
  for await (const ev of readTextLines(file, { limit: TEXT_LIMITS.jsonl, allowEmpty: true })) {
    if (ev.kind === "error") {
      // the argument is a run folder: a missing log means the folder is not one
      if (ev.error.code === "no_such_file") return { ok: false, message: `${file}: cannot read it (no such file); give a lab run folder (ftledger lab train --out).` };
      return { ok: false, message: formatTextError(ev.error) };
    }
    if (ev.kind === "too_long") return { ok: false, message: formatTextError(ev.error) };
    if (!ev.text.trim()) continue;
    try {
      lines.push(JSON.parse(ev.text) as MetricsLine);
    } catch {
      // a partial last line of a killed run
    }
  }
  if (lines.length === 0) return { ok: false, message: `${file}: no updates logged yet.` };
  return { ok: true, lines };
}

export async function labSummary(run: string, o: { seed: number }): Promise<number> {
  const r = await readMetrics(run);
  if (!r.ok) {
    err(r.message);
    return 2;
  }
  const lines = r.lines;
  const minutes = lines.reduce((s, l) => s + l.ms, 0) / 60_000;
  const head = lines.slice(0, Math.min(10, lines.length)).map((l) => l.loss);
  const tail = lines.slice(-Math.min(10, lines.length)).map((l) => l.loss);
  out(`${run}: ${lines.length} updates (step ${lines[0].step}–${lines[lines.length - 1].step}), ${minutes.toFixed(1)} min of update time`);
  out(`  loss (mean of the first / last 10 updates)  ${fixed(mean(head))} → ${fixed(mean(tail))}`);
  if (lines.every((l) => l.reward === undefined)) return 0;

  // one entry per rollout (its updates all log the rollout's reward)
  const rollouts = new Map<number, MetricsLine>();
  for (const l of lines) if (l.reward !== undefined && !rollouts.has(l.rollout ?? l.step)) rollouts.set(l.rollout ?? l.step, l);
  const rs = [...rollouts.values()];
  const rewards = rs.map((l) => l.reward!);
  const q = Math.max(1, Math.floor(rs.length / 4));
  const first = rs.slice(0, q);
  const last = rs.slice(-q);
  const d = bootstrapMeanDifference(first.map((l) => l.reward!), last.map((l) => l.reward!), { seed: o.seed });
  const trend = risingTrend(rewards, { seed: o.seed });
  out(`  rollouts ${rs.length}; mean reward ${fixed(mean(rewards))} over the run`);
  out(`  mean reward, first ${q} → last ${q} rollouts  ${fixed(mean(first.map((l) => l.reward!)))} → ${fixed(mean(last.map((l) => l.reward!)))}, ` +
    `${signed(d.difference)} [${signed(d.lo)}, ${signed(d.hi)}] (95% bootstrap, ${d.iterations} resamples, seed ${d.seed})`);
  out(`  trend over all rollouts  ${signed(trend.change)} (least-squares, first to last), one-sided permutation p = ${trend.p.toPrecision(2)} (${trend.permutations} permutations)`);
  const formats = Object.keys(rs[0].formats ?? {});
  if (formats.length) {
    const share = (ls: MetricsLine[], f: string) => (100 * mean(ls.map((l) => l.formats?.[f] ?? 0))).toFixed(1);
    out(`  formats sampled (first ${q} → last ${q} rollouts)  ${formats.map((f) => `${f} ${share(first, f)}% → ${share(last, f)}%`).join(", ")}`);
  }
  const kl = lines[lines.length - 1].kl;
  if (kl !== undefined) out(`  KL to the reference at the last update  ${fixed(kl, 4)} nats/token`);
  return 0;
}
