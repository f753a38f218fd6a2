/**
 * The direct scorer (src/backends/llamacpp/direct.ts, native/llama/ftledger_llama.c)
 * against node-llama-cpp's own sampling calls on the same GGUF and against the engine
 * (an independent forward pass): the same log-probs, greedy flags and rankings; a request
 * longer than one llama_decode batch (512 tokens); many requests at once; closing while
 * evaluations run; the errors it gives.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scoreContinuations, type Llama } from "../../../src/model/index.js";
import { createRng } from "../../../src/random/index.js";
import type { LanguageModel } from "../../../src/backends/language-model.js";
import { openGgufModel } from "../../../src/backends/llamacpp/index.js";
import { directAddon, openDirectScorer } from "../../../src/backends/llamacpp/direct.js";
import { join } from "node:path";
import { exportGguf, saveCheckpoint } from "../../../src/formats/index.js";
import { tempDir, unwrap } from "../../formats/helpers.js";
import { mustStart } from "../../helpers/required.js";
import { config, engineModel, exportModel, tok } from "./helpers.js";

const got = directAddon();

if (!("addon" in got)) {
  describe("llama.cpp direct scorer", () => {
    // Reported, not hidden: the gguf backend then scores through node-llama-cpp alone.
    it(`is unavailable on this machine (${got.why})`, () => {
      expect(got.why).toMatch(/build-llama|FTLEDGER_GGUF_DIRECT|CPU backend/);
      expect(mustStart("llama-direct"), "FTLEDGER_REQUIRE_LLAMA_DIRECT=1: the direct scorer must build and load in this run").toBe(false);
    });
  });
} else {
  const rng = createRng(7);
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789.,"; // no spaces: a trailing one moves across the boundary
  const text = (n: number): string => Array.from({ length: n }, () => letters[rng.int(letters.length)]).join("");

  let engine: Llama<Float32Array>;
  let path: string;
  let direct: LanguageModel;
  let viaNlc: LanguageModel;

  beforeAll(async () => {
    // context 1024: long enough for a request of two llama_decode batches
    engine = engineModel(31, { ...config, contextLength: 1024 });
    path = await exportModel(engine, await tempDir("llamacpp-direct"), "d");
    direct = await openGgufModel(path, { contextSize: 1024, parallel: 2 });
    viaNlc = await openGgufModel(path, { contextSize: 1024, parallel: 2, direct: false });
  });
  afterAll(async () => {
    await direct?.close();
    await viaNlc?.close();
  });

  describe("llama.cpp direct scorer", () => {
    it("is what the backend scores with, and says so in its device", () => {
      expect(direct.device).toMatch(/direct scoring/);
      expect(viaNlc.device).not.toMatch(/direct scoring/);
      expect(direct.id).toBe(viaNlc.id); // same numbers, so the same identity (cached results stay valid)
    });

    it("scoreBatch: the same log-probs (1e-5) and greedy flags as node-llama-cpp's sampling calls, and the engine's (1e-4)", async () => {
      const reqs = Array.from({ length: 60 }, () => ({ prompt: text(1 + rng.int(20)), continuation: text(1 + rng.int(40)) }));
      const [a, b] = await Promise.all([direct.scoreBatch(reqs), viaNlc.scoreBatch(reqs)]);
      const want = scoreContinuations(engine, reqs.map((r) => ({ prompt: tok.encode(r.prompt), continuation: tok.encode(r.continuation) })));
      let maxNlc = 0;
      let maxEngine = 0;
      a.forEach((s, i) => {
        expect(s.tokens.map((t) => t.id)).toEqual(b[i].tokens.map((t) => t.id));
        expect(s.tokens.map((t) => t.isGreedy)).toEqual(b[i].tokens.map((t) => t.isGreedy));
        s.tokens.forEach((t, j) => {
          maxNlc = Math.max(maxNlc, Math.abs(t.logprob - b[i].tokens[j].logprob));
          maxEngine = Math.max(maxEngine, Math.abs(t.logprob - want[i].logprobs[j]));
        });
        expect(s.logprob).toBeCloseTo(s.tokens.reduce((x, t) => x + t.logprob, 0), 10);
      });
      console.log(`direct vs node-llama-cpp: max |Δ log p| = ${maxNlc.toExponential(2)}; vs engine ${maxEngine.toExponential(2)}`);
      expect(maxNlc).toBeLessThan(1e-5);
      expect(maxEngine).toBeLessThan(1e-4);
    });

    it("scoreTokens: the same rankings (top 5 and the whole vocabulary) as node-llama-cpp, most likely first", async () => {
      const ids = tok.encode(text(50));
      for (const k of [5, config.vocabSize]) {
        const [a, b] = await Promise.all([direct.scoreTokens!(ids, k), viaNlc.scoreTokens!(ids, k)]);
        expect(a).toHaveLength(ids.length - 1);
        a.forEach((p, t) => {
          expect(p.id).toBe(ids[t + 1]);
          expect(p.top.map((e) => e.id)).toEqual(b[t].top.map((e) => e.id));
          expect(Math.abs(p.logprob - b[t].logprob)).toBeLessThan(1e-5);
          p.top.forEach((e, i) => expect(Math.abs(e.logprob - b[t].top[i].logprob)).toBeLessThan(1e-5));
          for (let i = 1; i < p.top.length; i++) expect(p.top[i - 1].logprob).toBeGreaterThanOrEqual(p.top[i].logprob);
          // the whole vocabulary comes as typed arrays too (what knowledge.drift reads), the same numbers as top
          if (k === config.vocabSize) {
            expect(Array.from(p.vocabulary!.ranking)).toEqual(p.top.map((e) => e.id));
            p.top.forEach((e) => expect(p.vocabulary!.logprobs[e.id]).toBe(e.logprob));
            expect(JSON.parse(JSON.stringify(p)).vocabulary).toBeUndefined();
          } else expect(p.vocabulary).toBeUndefined();
        });
      }
    });

    it("nextTokenLogprobs: top-k and the full distribution as node-llama-cpp gives them", async () => {
      const prefix = tok.encode(text(30));
      for (const k of [3, undefined]) {
        const [a, b] = await Promise.all([direct.nextTokenLogprobs!(prefix, k), viaNlc.nextTokenLogprobs!(prefix, k)]);
        expect(a.kind).toBe(b.kind);
        expect(a.entries.map((e) => e.id)).toEqual(b.entries.map((e) => e.id));
        a.entries.forEach((e, i) => expect(Math.abs(e.logprob - b.entries[i].logprob)).toBeLessThan(1e-5));
      }
      const full = await direct.nextTokenLogprobs!(prefix);
      expect(full.entries).toHaveLength(config.vocabSize);
      expect(full.entries.reduce((s, e) => s + Math.exp(e.logprob), 0)).toBeCloseTo(1, 6);
    });

    it("a request longer than one llama_decode batch (900 tokens, two batches) gives node-llama-cpp's numbers (1e-5)", async () => {
      const req = { prompt: text(300), continuation: text(600) };
      const [[s], [b]] = await Promise.all([direct.scoreBatch([req]), viaNlc.scoreBatch([req])]);
      const [want] = scoreContinuations(engine, [{ prompt: tok.encode(req.prompt), continuation: tok.encode(req.continuation) }]);
      expect(s.tokens).toHaveLength(600);
      const vsNlc = Math.max(...s.tokens.map((t, j) => Math.abs(t.logprob - b.tokens[j].logprob)));
      const vsEngine = Math.max(...s.tokens.map((t, j) => Math.abs(t.logprob - want.logprobs[j])));
      console.log(`900 tokens: direct vs node-llama-cpp max |Δ log p| = ${vsNlc.toExponential(2)}; vs engine ${vsEngine.toExponential(2)}`);
      expect(vsNlc).toBeLessThan(1e-5);
      // float32 attention over ~900 positions in two different implementations: a looser bound
      expect(vsEngine).toBeLessThan(1e-3);
    });

    it("quantised weights (q8_0, q4_0) are not repacked by the addon: close to node-llama-cpp's numbers (1e-2), under an id of their own", async () => {
      const dir = await tempDir("llamacpp-direct-q");
      const ckpt = join(dir, "q-ckpt");
      unwrap(await saveCheckpoint(ckpt, { config: engine.config, params: engine.params.flat, tokenizer: tok }));
      const reqs = Array.from({ length: 20 }, () => ({ prompt: text(1 + rng.int(20)), continuation: text(1 + rng.int(30)) }));
      for (const dtype of ["q8_0", "q4_0"] as const) {
        const file = join(dir, `q.${dtype}.gguf`);
        unwrap(await exportGguf(ckpt, file, { dtype }));
        const [a, b] = [await openGgufModel(file, { contextSize: 256, parallel: 1 }), await openGgufModel(file, { contextSize: 256, parallel: 1, direct: false })];
        try {
          expect(a.device).toMatch(/direct scoring/);
          // llama.cpp's repacked and generic kernels round differently: cached results of one must not pass for the other's
          expect(a.id).toBe(`${b.id}+direct`);
          const [x, y] = await Promise.all([a.scoreBatch(reqs), b.scoreBatch(reqs)]);
          const d = Math.max(...x.flatMap((s, i) => s.tokens.map((t, j) => Math.abs(t.logprob - y[i].tokens[j].logprob))));
          console.log(`${dtype}: direct vs node-llama-cpp max |Δ log p| = ${d.toExponential(2)}`);
          expect(d).toBeLessThan(1e-2);
        } finally {
          await a.close();
          await b.close();
        }
      }
    });

    it("200 requests at once on 2 contexts: each gets the numbers it gets alone, bit for bit", async () => {
      const reqs = Array.from({ length: 200 }, () => ({ prompt: text(1 + rng.int(10)), continuation: text(1 + rng.int(25)) }));
      const batch = await direct.scoreBatch(reqs);
      for (const i of [0, 57, 123, 199]) {
        const one = await direct.score(reqs[i]);
        expect(batch[i].tokens.map((t) => t.logprob)).toEqual(one.tokens.map((t) => t.logprob));
      }
    });
  });

  describe("openDirectScorer", () => {
    it("close waits for running evaluations and refuses queued and later ones", async () => {
      const scorer = openDirectScorer(path, { lanes: 1, threads: 1, contextSize: 256, exact: true })!;
      const ids = tok.encode(text(200));
      const first = scorer.evaluate(ids, { first: 0, targets: [...ids.slice(1), ids[0]] });
      // settled at once: close refuses it before the test awaits it (an unhandled rejection otherwise)
      const queued = scorer.evaluate(ids, { first: 0 }).then(() => "ran", (e: Error) => e.message);
      await scorer.close();
      const rows = await first;
      expect(rows.logprob).toHaveLength(200);
      expect(rows.logprob.every(Number.isFinite)).toBe(true);
      expect(await queued).toMatch(/closed/);
      await expect(scorer.evaluate(ids, { first: 0 })).rejects.toThrow(/closed/);
    });

    it("refuses token ids outside the vocabulary, and more tokens than the context holds, with a clear error", async () => {
      const scorer = openDirectScorer(path, { lanes: 1, threads: 1, contextSize: 64, exact: true })!;
      try {
        await expect(scorer.evaluate([1, 2, config.vocabSize], { first: 0 })).rejects.toThrow(/outside the vocabulary/);
        await expect(scorer.evaluate([1, 2, 3], { first: 0, targets: [1, 2, -1] })).rejects.toThrow(/outside the vocabulary/);
        // (llama.cpp rounds a context of 64 up to 256 tokens)
        await expect(scorer.evaluate(Array.from({ length: 1000 }, () => 1), { first: 0 })).rejects.toThrow(/more tokens than the context holds/);
        await expect(scorer.evaluate([1, 2, 3], { first: 3 })).rejects.toThrow(/firstOutput/);
        // the context is still usable after a refusal
        const ok = await scorer.evaluate([1, 2, 3], { first: 1, targets: [4, 5] });
        expect(Array.from(ok.logprob).every((x) => x < 0)).toBe(true);
      } finally {
        await scorer.close();
      }
    });
  });
}
