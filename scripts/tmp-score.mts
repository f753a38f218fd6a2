import { openModel } from "../src/backends/index.js";
const spec = process.argv[2]; const N = 256, L = 40;
const lm = await openModel(spec);
const V = lm.vocab!.size; let s = 1;
const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s; };
const seqs = Array.from({ length: N }, () => Array.from({ length: L }, () => 1 + (rnd() % (V - 1))));
for (let rep = 0; rep < 3; rep++) {
  const t0 = performance.now();
  await Promise.all(seqs.map((ids) => lm.scoreTokens!(ids, 1)));
  const dt = (performance.now() - t0) / 1000;
  console.log(`${spec} scoreTokens: ${(N * L / dt).toFixed(0)} tok/s (${dt.toFixed(3)} s)`);
}
await lm.close();
