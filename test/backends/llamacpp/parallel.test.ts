/**
 * Requests evaluated at once must not see each other's numbers.
 *
 * NOTE: with several sequences in one llama.cpp context, a batch of sequences of unequal
 * lengths comes back with its outputs permuted, put in order lazily by the first reader;
 * node-llama-cpp samples every sequence's positions on concurrent workers, and two
 * readers at once scrambled rows: a few requests in a few hundred got another position's
 * distribution (src/backends/llamacpp/layout.ts). The backend now gives every request a
 * context of its own. On the old layout (one context, four sequences) the first test
 * failed in some runs (4–10 nats off) and the second in nearly every one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scoreContinuations, type Llama } from "../../../src/model/index.js";
import { createRng } from "../../../src/random/index.js";
import type { LanguageModel } from "../../../src/backends/language-model.js";
import { openGgufModel } from "../../../src/backends/llamacpp/index.js";
import { tempDir } from "../../formats/helpers.js";
import { engineModel, exportModel, tok } from "./helpers.js";

let engine: Llama<Float32Array>;
let lm: LanguageModel;

beforeAll(async () => {
  engine = engineModel(21);
  lm = await openGgufModel(await exportModel(engine, await tempDir("llamacpp-parallel"), "p"), { contextSize: 64, parallel: 4 });
});
afterAll(async () => {
  await lm?.close();
});

describe("openGgufModel: parallel requests", () => {
  it("a scoreBatch of 300 requests of unequal lengths matches the engine at every token (1e-4)", async () => {
    const rng = createRng(5);
    const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789";
    const text = (n: number) => Array.from({ length: n }, () => letters[rng.int(letters.length)]).join("");
    const reqs = Array.from({ length: 300 }, () => ({ prompt: text(1 + rng.int(12)), continuation: text(1 + rng.int(30)) }));
    const got = await lm.scoreBatch(reqs);
    const want = scoreContinuations(engine, reqs.map((r) => ({ prompt: tok.encode(r.prompt), continuation: tok.encode(r.continuation) })));
    const wrong: string[] = [];
    let max = 0;
    got.forEach((g, i) => {
      expect(g.tokens.map((t) => t.id)).toEqual(tok.encode(reqs[i].continuation));
      const d = Math.max(...g.tokens.map((t, j) => Math.abs(t.logprob - want[i].logprobs[j])));
      max = Math.max(max, d);
      if (d > 1e-4) wrong.push(`request ${i} (${JSON.stringify(reqs[i])}): |Δ log p| up to ${d.toFixed(3)}`);
    });
    expect(wrong).toEqual([]);
    console.log(`llamacpp parallel scoreBatch vs engine: max |Δ log p| = ${max.toExponential(2)} over ${reqs.length} requests`);
  });

  it("scoreBatch gives each request the numbers it gets alone, bit for bit (one context per request: same batch shape)", async () => {
    const prompts = ["a", "bcdefgh", "ijklmnopqrstu", "v", "wxyz01234", "56", "789", "klmnopqrstuvwxyz", "Q", "RST", "uvwxy", "zz"];
    const reqs = prompts.map((p, i) => ({ prompt: p, continuation: "ABCDEFGHIJ".slice(0, 1 + ((i * 3) % 10)) }));
    const batch = await lm.scoreBatch(reqs);
    for (let i = 0; i < reqs.length; i++) {
      const one = await lm.score(reqs[i]);
      expect(batch[i].tokens.map((t) => t.logprob)).toEqual(one.tokens.map((t) => t.logprob));
    }
  });
});
