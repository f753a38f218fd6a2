/** Progress bars for long work (cli-progress), quiet when stderr is not a terminal. */
import cliProgress from "cli-progress";

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

export function progressBar(total: number, label: string, fields: string): Progress {
  if (!process.stderr.isTTY) {
    let lastPrinted = -1;
    return {
      update(value, payload) {
        // without a terminal, a line every 10%
        const decile = Math.floor((10 * value) / total);
        if (decile !== lastPrinted) {
          lastPrinted = decile;
          const extra = payload ? " " + Object.entries(payload).map(([k, v]) => `${k}=${v}`).join(" ") : "";
          process.stderr.write(`${label} ${value}/${total}${extra}\n`);
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
