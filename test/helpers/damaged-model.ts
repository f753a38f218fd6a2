/**
 * A deliberately damaged zoo model for audit tests: a copy of zoo/NAME with noise in its
 * weights, so an audit against the original has real losses to find.
 */
import { join } from "node:path";
import { formatFormatError, loadCheckpoint, saveCheckpoint, ZOO_DIR } from "../../src/formats/index.js";
import { createRng } from "../../src/random/index.js";

/**
 * Saves zoo/`zooName` to `dir` with each weight w moved by scale·|w|·U(−1, 1), the uniform
 * draws from createRng(seed) in parameter order. Returns `dir`; throws when the zoo model
 * does not load or the copy cannot be saved.
 */
export async function saveDamagedCopy(zooName: string, dir: string, opts: { scale: number; seed: number }): Promise<string> {
  const ckpt = await loadCheckpoint(join(ZOO_DIR, zooName));
  if (!ckpt.ok) throw new Error(`zoo/${zooName} does not load: ${formatFormatError(ckpt.error)}`);
  const rng = createRng(opts.seed);
  const params = Float32Array.from(ckpt.value.params, (w) => w + opts.scale * Math.abs(w) * (2 * rng.next() - 1));
  const saved = await saveCheckpoint(dir, { config: ckpt.value.config, params, tokenizer: ckpt.value.tokenizer });
  if (!saved.ok) throw new Error(`could not save the damaged copy of zoo/${zooName} to ${dir}: ${formatFormatError(saved.error)}`);
  return dir;
}
