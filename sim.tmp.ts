import { pairedProportions, pairedMeanDifference, confidenceInterval } from "./src/stats/index.ts";
import { createRng } from "./src/random/index.ts";
const rng = createRng(42);
const R = Number(process.env.R ?? 600);
function binCov(n: number, p10: number, p01: number, cl = 1, icc = 0) {
  let cov = 0;
  const truth = p01 - p10;
  for (let r = 0; r < R; r++) {
    const base: number[] = [], tuned: number[] = [], labels: string[] = [];
    for (let k = 0; k < n / cl; k++) {
      const shared = rng.next();
      for (let j = 0; j < cl; j++) {
        const u = rng.next() < icc ? shared : rng.next();
        const kind = u < p10 ? 10 : u < p10 + p01 ? 1 : rng.next() < 0.5 ? 11 : 0;
        base.push(kind === 10 || kind === 11 ? 1 : 0); tuned.push(kind === 1 || kind === 11 ? 1 : 0); labels.push(String(k));
      }
    }
    const [lo, hi] = confidenceInterval(pairedProportions(base, tuned, cl > 1 ? labels : undefined), 0.95);
    if (lo <= truth && truth <= hi) cov++;
  }
  return cov / R;
}
function contCov(n: number, gen: () => number, truth: number, cl = 1, icc = 0) {
  let cov = 0;
  for (let r = 0; r < R; r++) {
    const d: number[] = [], labels: string[] = [];
    for (let k = 0; k < n / cl; k++) { const s = gen(); for (let j = 0; j < cl; j++) { d.push(rng.next() < icc ? s : gen()); labels.push(String(k)); } }
    const inf = pairedMeanDifference(d.map(() => 0), d, cl > 1 ? labels : undefined, { seed: r, iterations: 2000 });
    const [lo, hi] = confidenceInterval(inf, 0.95);
    if (lo <= truth && truth <= hi) cov++;
  }
  return cov / R;
}
const t0 = Date.now();
for (const n of [20, 50, 200]) {
  console.log("binary n", n, "null .05/.05", binCov(n, 0.05, 0.05), "loss10", binCov(n, 0.1, 0), "loss5", binCov(n, 0.05, 0), "gain25/5", binCov(n, 0.05, 0.25), "all", binCov(n, 1, 0), "clustered3", binCov(n - (n % 3), 0.1, 0.02, 3, 0.5));
  console.log("cont n", n, "normal", contCov(n, () => 0.2 + rng.normal(), 0.2), "exp", contCov(n, () => -Math.log(1 - rng.next()) - 1, 0), "bern.1", contCov(n, () => (rng.next() < 0.1 ? 1 : 0), 0.1), "clustered", contCov(n - (n % 4), () => rng.normal(), 0, 4, 0.5));
}
console.log((Date.now() - t0) / 1000, "s");
