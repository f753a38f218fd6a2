/** Progress bars for long work (cli-progress), quiet when stderr is not a terminal. */
import cliProgress from "cli-progress";

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A bar on a terminal; without one, a line every 10% (`lines: "deciles"`, for long single
 * jobs) or one line when the job ends (`lines: "end"`, for many short ones).
 */
export function progressBar(total: number, label: string, fields: string, lines: "deciles" | "end" = "deciles"): Progress {
  if (!process.stderr.isTTY) {
    let lastPrinted = -1;
    const t0 = performance.now();
    if (lines === "end") {
      let last = 0;
      return {
        update(value) {
          last = value;
        },
        stop() {
          const plain = fields.replace(/\|?\s*[A-Za-z ]*\{[a-z_]+\}/g, "").trim(); // placeholders are for the terminal bar
          process.stderr.write(`${label} ${last}/${total} ${plain}${plain ? " " : ""}(${formatSeconds((performance.now() - t0) / 1000)})\n`);
        },
      };
    }
    return {
      update(value, payload) {
        // without a terminal, a line every 10%, with the time left at the rate so far
        const decile = Math.floor((10 * value) / total);
        if (decile !== lastPrinted) {
          lastPrinted = decile;
          const extra = payload ? " " + Object.entries(payload).filter(([, v]) => v !== "").map(([k, v]) => `${k}=${String(v).replace(/^ \| /, "").replace(/ \| /g, " ")}`).join(" ") : "";
          const secs = value > 0 ? ((performance.now() - t0) / 1000 / value) * (total - value) : NaN;
          const eta = Number.isFinite(secs) && value < total ? ` eta=${formatSeconds(secs)}` : "";
          process.stderr.write(`${label} ${value}/${total}${extra}${eta}\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} ${fields}`, hideCursor: true, clearOnComplete: false, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, {});
  return { update: (v, p) => bar.update(v, p ?? {}), stop: () => bar.stop() };
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
