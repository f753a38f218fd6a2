/**
 * An emulated fine-tune as a LanguageModel (Mitchell et al. 2023, arXiv 2310.12962): three
 * models decoded in lockstep, their next-token distributions combined at every step by
 * ./combine.ts. Up-scaling (a large base with a small model's fine-tuning change) and
 * down-scaling (a small base with a large model's change) are the same code with other specs.
 *
 *   generate      sample token by token from the composed distribution (seeded; greedy at T = 0)
 *   score         teacher-forced log p̃(continuation | prompt) under the composition
 *   next token    the composed distribution after a prefix
 *
 * The three models must share one vocabulary (./compatible.ts). Each keeps its own KV cache
 * where its backend has a decoder (builtin); otherwise its full next-token distribution is
 * asked for the whole prefix at every step (gguf).
 */
import { randomInt } from "node:crypto";
import { cutAtStop, splitForScoring } from "../backends/index.js";
import type {
  BatchDecoder, ChatMessage, ContinuationScore, GenerateRequest, Generation, LanguageModel, PositionScore, Sample, ScoreRequest, TokenDecoder, TokenIds, TokenLogprobs, Vocabulary,
} from "../backends/index.js";
import { argmax, sampleToken } from "../model/index.js";
import { createRng, sha256Text } from "../random/index.js";
import { composeLogprobs } from "./combine.js";
import type { EftSpec } from "./spec.js";

export interface EftParts {
  base: LanguageModel;
  tuned: LanguageModel;
  ref: LanguageModel;
}

/** A decoder for a model without one: its full distribution for the whole prefix at every step. */
function prefixDecoder(model: LanguageModel, size: number): TokenDecoder {
  const prefix: number[] = [];
  if (!model.nextTokenLogprobs) throw new Error(`${model.id}: the backend gives no next-token distribution; it cannot take part in a composition`);
  return {
    get length() {
      return prefix.length;
    },
    async feed(ids: TokenIds): Promise<Float64Array> {
      prefix.push(...ids);
      const d = await model.nextTokenLogprobs!(prefix);
      if (d.kind !== "full") throw new Error(`${model.id}: returned only its top-${d.entries.length} next tokens; a full-vocabulary composition needs the whole distribution`);
      const out = new Float64Array(Math.max(size, ...d.entries.map((e) => e.id + 1))).fill(-Infinity);
      for (const e of d.entries) out[e.id] = e.logprob;
      return out;
    },
  };
}

/** Score requests decoded together: enough rows for the matmuls, a KV cache each per part. */
const SCORE_GROUP = 64;

export class EftModel implements LanguageModel {
  readonly id: string;
  readonly vocab: Vocabulary;

  constructor(
    private readonly parts: EftParts,
    readonly beta: number,
    readonly spec: EftSpec,
  ) {
    this.id = "eft:" + sha256Text(JSON.stringify([parts.base.id, parts.tuned.id, parts.ref.id, beta])).slice(0, 24);
    const v = parts.base.vocab!;
    // generation ends where the tuned model's turn ends (behaviour comes from the fine-tune) or the base's
    const eos = [...new Set([...(parts.tuned.vocab?.eosIds ?? []), ...(v.eosIds ?? [])])];
    this.vocab = {
      size: v.size, eosIds: eos,
      encode: (t) => v.encode(t), encodePrompt: (t) => v.encodePrompt(t), decode: (ids) => v.decode(ids), tokenText: (id) => v.tokenText(id),
    };
  }

  /** The chat template of the fine-tune (whose behaviour is composed in), else the base's. */
  chatPrompt(messages: ChatMessage[]): string {
    const m = this.parts.tuned.chatPrompt ? this.parts.tuned : this.parts.base;
    if (!m.chatPrompt) throw new Error(`${this.spec.tuned}: no chat template to render messages with; send a prompt`);
    return m.chatPrompt(messages);
  }

  /** One sequence through the three parts in lockstep (nextTokenLogprobs, scoreTokens, decoder). */
  private lockstep(): TokenDecoder {
    const one = this.lockstepBatch(1);
    let length = 0;
    return {
      get length() {
        return length;
      },
      feed: async (ids) => {
        const [lp] = await one.feed([{ seq: 0, ids }]);
        length += ids.length;
        return lp;
      },
    };
  }

  /**
   * The three parts stepping `n` sequences together: one batched evaluation per part per step
   * where the backend has `batchDecoder`, else a decoder per sequence; composed row by row.
   */
  private lockstepBatch(n: number): { feed(steps: { seq: number; ids: TokenIds }[]): Promise<Float64Array[]>; capacity: number } {
    const size = this.vocab.size;
    const parts = [this.parts.base, this.parts.tuned, this.parts.ref];
    const batches = parts.map((m): BatchDecoder => {
      if (m.batchDecoder) return m.batchDecoder(n);
      const ds = Array.from({ length: n }, () => m.decoder?.() ?? prefixDecoder(m, size));
      return { feed: (steps) => Promise.all(steps.map((s) => ds[s.seq].feed(s.ids))) };
    });
    return {
      capacity: Math.min(...parts.map((m) => m.contextLength ?? Infinity)),
      feed: async (steps) => {
        const [b, t, r] = await Promise.all(batches.map((d) => d.feed(steps)));
        return steps.map((_, i) => composeLogprobs(b[i], t[i], r[i], this.beta));
      },
    };
  }

  private promptIds(req: GenerateRequest): number[] {
    const ids = req.messages ? this.vocab.encode(this.chatPrompt(req.messages)) : this.vocab.encodePrompt(req.prompt);
    if (ids.length === 0) throw new Error("an empty prompt needs a BOS token to condition on, and this vocabulary adds none; give a prompt");
    return ids;
  }

  async generate(req: GenerateRequest): Promise<Generation> {
    return (await this.generateBatch([req]))[0];
  }

  /**
   * Every sample of every request decoded together: at each step the live sequences go through
   * each part in one batched evaluation (`batchDecoder`, builtin), then each sequence's three
   * rows are composed and sampled with its own seeded generator (request seed + sample index).
   */
  async generateBatch(reqs: GenerateRequest[]): Promise<Generation[]> {
    const rows = reqs.flatMap((req, r) => {
      const prompt = this.promptIds(req);
      const stop = req.stop ?? [];
      if (stop.some((x) => x === "")) throw new Error("an empty stop string would end generation at once; remove it");
      const seed = req.seed ?? randomInt(2 ** 31);
      return Array.from({ length: req.n ?? 1 }, (_, i) => ({
        r, req, prompt, stop, rng: createRng(seed + i), tokens: [] as number[], logprobs: [] as number[], finish: "length" as Sample["finishReason"], live: req.maxTokens > 0,
      }));
    });
    const dec = this.lockstepBatch(rows.length);
    let lps = await dec.feed(rows.map((row, seq) => ({ seq, ids: row.prompt })));
    let live = rows.map((_, seq) => seq).filter((seq) => rows[seq].live);
    const eos = new Set(this.vocab.eosIds);
    while (live.length > 0) {
      const next: { seq: number; ids: number[] }[] = [];
      for (const [j, seq] of live.entries()) {
        const row = rows[seq];
        const lp = lps[j];
        const tok = sampleToken(lp, { temperature: row.req.temperature ?? 1, topK: row.req.topK ?? 0, topP: row.req.topP ?? 1 }, row.rng);
        if (eos.has(tok)) {
          row.finish = "stop";
          continue;
        }
        row.tokens.push(tok);
        row.logprobs.push(lp[tok]);
        if (row.stop.length > 0 && row.stop.some((x) => this.vocab.decode(row.tokens).includes(x))) {
          row.finish = "stop";
          continue;
        }
        if (row.tokens.length >= row.req.maxTokens) continue;
        if (row.prompt.length + row.tokens.length >= dec.capacity) {
          row.finish = "context"; // no position left to feed this token
          continue;
        }
        next.push({ seq, ids: [tok] });
      }
      live = next.map((x) => x.seq);
      lps = live.length > 0 ? await dec.feed(next) : [];
    }
    const out: Generation[] = reqs.map(() => ({ samples: [] }));
    for (const row of rows) out[row.r].samples.push(this.sample(row.tokens, row.logprobs, row.finish, row.stop, row.req.logprobs));
    return out;
  }

  private sample(tokens: number[], logprobs: number[], finish: Sample["finishReason"], stop: string[], withLogprobs: boolean | undefined): Sample {
    const { text, kept } = cutAtStop((ids) => this.vocab.decode(ids), tokens, stop);
    const s: Sample = { text, finishReason: finish };
    if (withLogprobs) s.tokens = tokens.slice(0, kept).map((id, i) => ({ id, token: this.vocab.tokenText(id), logprob: logprobs[i] }));
    return s;
  }

  /** Prompt and continuation ids, split as the engine splits them (tokenised together; no BOS to fall back on). */
  private split(req: ScoreRequest): { prompt: number[]; continuation: number[] } {
    const tok = { encodeWithSpecial: (t: string) => this.vocab.encodePrompt(t), bosId: undefined, decode: (ids: number[]) => this.vocab.decode(ids) };
    const s = splitForScoring(tok, req.prompt, req.continuation, this.id);
    if (!s.ok) throw new Error(s.message);
    return s.value;
  }

  async score(req: ScoreRequest): Promise<ContinuationScore> {
    return (await this.scoreBatch([req]))[0];
  }

  /** Teacher-forced, every request in lockstep: one batched evaluation per part per position. */
  async scoreBatch(reqs: ScoreRequest[]): Promise<ContinuationScore[]> {
    const out: ContinuationScore[] = [];
    for (let at = 0; at < reqs.length; at += SCORE_GROUP) {
      const rows = reqs.slice(at, at + SCORE_GROUP).map((r) => ({ ...this.split(r), tokens: [] as ContinuationScore["tokens"] }));
      const dec = this.lockstepBatch(rows.length);
      let lps = await dec.feed(rows.map((row, seq) => ({ seq, ids: row.prompt })));
      let live = rows.map((_, seq) => seq);
      for (let t = 0; live.length > 0; t++) {
        const next: { seq: number; ids: number[] }[] = [];
        live.forEach((seq, j) => {
          const row = rows[seq];
          const id = row.continuation[t];
          row.tokens.push({ id, token: this.vocab.tokenText(id), logprob: lps[j][id], isGreedy: argmax(lps[j]) === id });
          if (t + 1 < row.continuation.length) next.push({ seq, ids: [id] });
        });
        live = next.map((x) => x.seq);
        lps = live.length > 0 ? await dec.feed(next) : [];
      }
      for (const row of rows) out.push({ logprob: row.tokens.reduce((a, x) => a + x.logprob, 0), isGreedy: row.tokens.every((x) => x.isGreedy), tokens: row.tokens });
    }
    return out;
  }

  async nextTokenLogprobs(prefix: TokenIds, k?: number): Promise<TokenLogprobs> {
    const lp = await this.lockstep().feed(prefix);
    const entries = Array.from(lp, (logprob, id) => ({ id, token: this.vocab.tokenText(id), logprob })).sort((a, b) => b.logprob - a.logprob || a.id - b.id);
    return k !== undefined && k < entries.length ? { kind: "top-k", entries: entries.slice(0, k) } : { kind: "full", entries };
  }

  async scoreTokens(ids: TokenIds, topK: number): Promise<PositionScore[]> {
    if (ids.length < 2) return [];
    const dec = this.lockstep();
    let lp = await dec.feed([ids[0]]);
    const out: PositionScore[] = [];
    for (let t = 1; t < ids.length; t++) {
      const top = Array.from(lp, (logprob, id) => ({ id, logprob })).sort((a, b) => b.logprob - a.logprob || a.id - b.id).slice(0, topK)
        .map((e) => ({ ...e, token: this.vocab.tokenText(e.id) }));
      out.push({ id: ids[t], token: this.vocab.tokenText(ids[t]), logprob: lp[ids[t]], top });
      if (t + 1 < ids.length) lp = await dec.feed([ids[t]]);
    }
    return out;
  }

  decoder(): TokenDecoder {
    return this.lockstep();
  }

  async close(): Promise<void> {
    await Promise.all([this.parts.base, this.parts.tuned, this.parts.ref].map((m) => m.close()));
  }
}
