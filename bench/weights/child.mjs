// One pass of bench/weights.ts in its own process, from the built package (dist/), so its peak
// RSS is the command's own and not the TypeScript loader's: prints { seconds, maxRssMb, startRssMb }.
import { closeAll, diffWeights, openAllWeights, readMergeConfig, runMerge } from "../../dist/weights/index.js";

const [job, a, b] = process.argv.slice(2);
const startRssMb = process.resourceUsage().maxRSS / 1024;
const t0 = performance.now();
if (job === "diff") {
  const opened = await openAllWeights([a, b]);
  if (!opened.ok) throw new Error(JSON.stringify(opened.error));
  const r = await diffWeights(opened.value[0], [opened.value[1]], { rank: "none" });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  await closeAll(opened.value);
} else {
  const config = await readMergeConfig(a);
  if (!config.ok) throw new Error(JSON.stringify(config.error));
  const r = await runMerge(config.value, { configFile: a, out: b, maxShardBytes: 512 * 1024 * 1024 });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
}
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(`${JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, startRssMb })}\n`);
