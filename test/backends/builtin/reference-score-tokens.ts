/**
 * The builtin backend's `scoreTokens` as it was before whole-vocabulary positions were
 * built lazily (verbatim, over the same shared weights): the oracle that the faster path
 * must match bit for bit.
 */
import type { PositionScore, TokenIds } from "../../../src/backends/index.js";
import { acquireBase, llamaOver } from "../../../src/backends/builtin/shared-base.js";
import { KvCache, inferForward, logSoftmax, topIndices } from "../../../src/model/index.js";
import { loadKernels } from "../../../src/tensor/index.js";

export type ScoreTokens = (ids: TokenIds, topK: number) => PositionScore[];

/** The pre-change scoreTokens of the builtin model in `dir`. */
export async function referenceScoreTokens(dir: string): Promise<ScoreTokens> {
  const base = await acquireBase(dir, (await loadKernels()).kernels);
  const model = llamaOver(base);
  const tok = base.tok;
  return (ids, topK) => {
    const V = model.config.vocabSize;
    const [logits] = inferForward(model, [{ cache: new KvCache(model.config, ids.length - 1), tokens: Int32Array.from(ids.slice(0, -1)), logits: "all" }]);
    const out: PositionScore[] = [];
    for (let t = 1; t < ids.length; t++) {
      const lp = logSoftmax(logits.subarray((t - 1) * V, t * V));
      const top = Array.from(topIndices(lp, topK), (id) => ({ id, token: tok.tokenText(id), logprob: lp[id] }));
      out.push({ id: ids[t], token: tok.tokenText(ids[t]), logprob: lp[ids[t]], top });
    }
    return out;
  };
}
