/**
 * A scripted LanguageModel for probe tests: it answers generate requests with a function
 * of the request, scores continuations with a function of (prompt, continuation), and
 * records every request and batch it was sent.
 */
import type { ContinuationScore, GenerateRequest, Generation, LanguageModel, ScoreRequest } from "../../src/backends/index.js";

export interface FakeModel extends LanguageModel {
  generated: GenerateRequest[];
  scored: ScoreRequest[];
  /** Size of each generateBatch / scoreBatch call. */
  generateBatches: number[];
  scoreBatches: number[];
}

export function fakeModel(script: {
  /** The texts of the request's samples (one per sample, n of them). */
  generate?: (req: GenerateRequest, sample: number) => string;
  logprob?: (prompt: string, continuation: string) => number;
}): FakeModel {
  const m: FakeModel = {
    id: "fake",
    generated: [],
    scored: [],
    generateBatches: [],
    scoreBatches: [],
    async generate(req): Promise<Generation> {
      m.generated.push(req);
      const gen = script.generate ?? (() => "");
      return { samples: Array.from({ length: req.n ?? 1 }, (_, j) => ({ text: gen(req, j), finishReason: "stop" as const })) };
    },
    async generateBatch(reqs) {
      m.generateBatches.push(reqs.length);
      return Promise.all(reqs.map((r) => m.generate(r)));
    },
    async score(req): Promise<ContinuationScore> {
      m.scored.push(req);
      return { logprob: (script.logprob ?? (() => -1))(req.prompt, req.continuation), isGreedy: false, tokens: [] };
    },
    async scoreBatch(reqs) {
      m.scoreBatches.push(reqs.length);
      return Promise.all(reqs.map((r) => m.score(r)));
    },
    async close() {},
  };
  return m;
}

/** The prompt text of a request in either frame. */
export function promptOf(req: GenerateRequest): string {
  return req.prompt ?? req.messages!.map((x) => x.content).join("\n");
}
