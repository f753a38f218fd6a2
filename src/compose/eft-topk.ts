/**
 * Emulated fine-tuning over OpenAI-compatible servers, which give text-level top-k
 * log-probabilities and no token ids: at each step the three servers' next-token top-k lists
 * are combined over their union (./combine.ts composeTopK). The result is an approximation:
 * the model keeps the largest unseen mass and stand-in share it met (`approximation`), and its
 * id says "topk". The three servers must tokenise alike; scoring checks that their echoed
 * tokens agree and names the first position where they do not.
 */
import { randomInt } from "node:crypto";
import { moveTrailingWhitespace } from "../backends/index.js";
import type { ContinuationScore, GenerateRequest, Generation, LanguageModel, Sample, ScoreRequest } from "../backends/index.js";
import { createRng, sha256Text, type Rng } from "../random/index.js";
import { composeTopK, type TopKComposition } from "./combine.js";
import type { EftParts } from "./eft.js";
import type { EftSpec } from "./spec.js";

/** 20: vLLM's default `max_logprobs`, and the most the OpenAI API allows. */
export const DEFAULT_TOP_K = 20;

export interface TopKApproximation {
  k: number;
  /** Largest probability mass a model's list left unseen, over the steps so far. */
  maxMissing: { base: number; tuned: number; ref: number };
  /** Largest share of the composed mass that rested on stand-in values. */
  maxStandIn: number;
  steps: number;
}

/** Draw from composed entries at a temperature (0 = the most likely; ties: the first listed). */
function draw(entries: { token: string; logprob: number }[], temperature: number, rng: Rng): { token: string; logprob: number } {
  if (temperature === 0) return entries[0];
  const w = entries.map((e) => Math.exp(e.logprob / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < entries.length; i++) {
    u -= w[i];
    if (u <= 0) return entries[i];
  }
  return entries[entries.length - 1];
}

export class EftTopKModel implements LanguageModel {
  readonly id: string;
  readonly approximation: TopKApproximation;

  constructor(
    private readonly parts: EftParts,
    readonly beta: number,
    readonly spec: EftSpec,
    readonly k = DEFAULT_TOP_K,
  ) {
    this.id = "eft-topk:" + sha256Text(JSON.stringify([parts.base.id, parts.tuned.id, parts.ref.id, beta, k])).slice(0, 24);
    this.approximation = { k, maxMissing: { base: 0, tuned: 0, ref: 0 }, maxStandIn: 0, steps: 0 };
  }

  private note(c: TopKComposition): void {
    const a = this.approximation;
    a.steps++;
    a.maxStandIn = Math.max(a.maxStandIn, c.standIn);
    for (const key of ["base", "tuned", "ref"] as const) a.maxMissing[key] = Math.max(a.maxMissing[key], c.missing[key]);
  }

  /** One line for the output: this is an approximation, and by how much. */
  describe(): string {
    const a = this.approximation;
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    return `eft over top-${a.k} lists (an approximation): over ${a.steps} positions, unseen mass up to base ${pct(a.maxMissing.base)}, tuned ${pct(a.maxMissing.tuned)}, ref ${pct(a.maxMissing.ref)}; composed mass on stand-in values up to ${pct(a.maxStandIn)}`;
  }

  private async next(text: string): Promise<TopKComposition> {
    const lists = await Promise.all([this.parts.base, this.parts.tuned, this.parts.ref].map((m) => m.nextTokenTopK!(text, this.k)));
    const c = composeTopK(lists[0], lists[1], lists[2], this.beta);
    this.note(c);
    return c;
  }

  async generate(req: GenerateRequest): Promise<Generation> {
    if (req.messages) throw new Error(`${this.spec.tuned}: eft over OpenAI-compatible servers composes plain prompts (their chat templates are not known here); render the chat prompt yourself and send it as a prompt`);
    const stop = req.stop ?? [];
    const seed = req.seed ?? randomInt(2 ** 31);
    const samples: Sample[] = [];
    for (let i = 0; i < (req.n ?? 1); i++) {
      const rng = createRng(seed + i);
      let text = "";
      const tokens: { token: string; logprob: number }[] = [];
      let finish: Sample["finishReason"] = "length";
      for (let step = 0; step < req.maxTokens; step++) {
        const c = await this.next(req.prompt + text);
        const t = draw(c.entries, req.temperature ?? 1, rng);
        if (t.token === "") {
          finish = "stop"; // an empty token text: the server's end of sequence
          break;
        }
        tokens.push(t);
        text += t.token;
        const at = Math.min(...stop.map((x) => text.indexOf(x)).filter((j) => j >= 0));
        if (Number.isFinite(at)) {
          text = text.slice(0, at);
          finish = "stop";
          break;
        }
      }
      samples.push({ text, finishReason: finish, ...(req.logprobs ? { tokens } : {}) });
    }
    return { samples };
  }

  async generateBatch(reqs: GenerateRequest[]): Promise<Generation[]> {
    const out: Generation[] = [];
    for (const r of reqs) out.push(await this.generate(r));
    return out;
  }

  /** Teacher-forced over the servers' own tokens (echo with top-k at every position). */
  async score(req: ScoreRequest): Promise<ContinuationScore> {
    const { prompt, continuation } = moveTrailingWhitespace(req);
    if (prompt === "") throw new Error("eft over servers needs a non-empty prompt to score a continuation");
    const text = prompt + continuation;
    const echoed = await Promise.all([this.parts.base, this.parts.tuned, this.parts.ref].map((m) => m.textTopK!(text, this.k)));
    const roles = ["base", "tuned", "ref"] as const;
    for (let r = 1; r < 3; r++) {
      const i = echoed[0].findIndex((t, j) => echoed[r][j]?.token !== t.token);
      if (i >= 0 || echoed[r].length !== echoed[0].length) {
        const at = i >= 0 ? i : Math.min(echoed[0].length, echoed[r].length);
        throw new Error(`cannot compose: base ${this.spec.base} and ${roles[r]} ${this.spec[roles[r]]} tokenise the text differently at token ${at} (${JSON.stringify(echoed[0][at]?.token)} vs ${JSON.stringify(echoed[r][at]?.token)})`);
      }
    }
    let offset = 0;
    const tokens: ContinuationScore["tokens"] = [];
    for (let j = 0; j < echoed[0].length; j++) {
      const tok = echoed[0][j].token;
      const start = offset;
      offset += tok.length;
      if (offset <= prompt.length) continue;
      if (start < prompt.length) throw new Error(`token ${JSON.stringify(tok)} spans the prompt/continuation boundary; move the boundary to a token edge`);
      // each model's list at this position, with the actual token's own log-prob in it
      const lists = echoed.map((e) => {
        const m = new Map<string, number>(e[j].top);
        const own = e[j].logprob;
        if (own !== null) m.set(tok, own);
        return m;
      });
      const c = composeTopK(lists[0], lists[1], lists[2], this.beta);
      this.note(c);
      const mine = c.entries.find((e) => e.token === tok)!;
      tokens.push({ token: tok, logprob: mine.logprob, isGreedy: c.entries[0].token === tok });
    }
    return { logprob: tokens.reduce((a, t) => a + t.logprob, 0), isGreedy: tokens.every((t) => t.isGreedy), tokens };
  }

  async scoreBatch(reqs: ScoreRequest[]): Promise<ContinuationScore[]> {
    const out: ContinuationScore[] = [];
    for (const r of reqs) out.push(await this.score(r));
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([this.parts.base, this.parts.tuned, this.parts.ref].map((m) => m.close()));
  }
}
