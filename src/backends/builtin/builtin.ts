/**
 * `builtin`: the project's own engine behind the LanguageModel interface, for any
 * Hugging Face llama folder the engine can run (ftledger's checkpoints, SmolLM-class
 * models). Weights are upcast to float32 on load; what the engine cannot run is refused
 * by src/formats with a message naming the config field.
 */
import { randomInt } from "node:crypto";
import { sha256Of } from "../../random/index.js";
import { loadKernels, type Kernels } from "../../tensor/index.js";
import { KvCache, type Llama, decodeSteps, generateTokens, inferForward, type GenerateOptions, type GeneratedSequence, logSoftmax, loraScale, nextTokenLogprobs, rankFrom, scoreContinuations, topIndices, type ModelConfig } from "../../model/index.js";
import { formatFormatError, readPeftAdapter } from "../../formats/index.js";
import { entries as topEntries, wholeVocabularyPosition } from "../whole-vocabulary.js";
import type {
  BatchDecoder, ChatMessage, ContinuationScore, GenerateRequest, Generation, LanguageModel, PositionScore, Sample, ScoreRequest, StreamEvent, TokenDecoder, TokenIds, TokenLogprobs, TokenScoreRequest,
} from "../language-model.js";
import type { FolderTokenizer } from "./hf-tokenizer.js";
import { acquireBase, llamaOver } from "./shared-base.js";
import { splitForScoring } from "./split.js";
import { cutAtStop } from "../stop.js";
import { throwIfAborted } from "../abort.js";
import { takeTurn } from "./turns.js";
import { Healer, stripHealed, tokenizerJsonHealable } from "../healing.js";
import { DECODE_SLOTS, decodeContinuous, MIN_ROWS } from "../batch/index.js";

export interface BuiltinOptions {
  kernels?: Kernels;
  /** A PEFT LoRA adapter folder for this base, applied without merging; `scale` multiplies its alpha/r. */
  lora?: { dir: string; scale: number };
}

export async function openBuiltinModel(dir: string, opts: BuiltinOptions = {}): Promise<LanguageModel & { config: ModelConfig }> {
  const kernels = opts.kernels ?? (await loadKernels()).kernels;
  // the base's weights and tokenizer, loaded once for every model over them (shared-base.ts)
  const base = await acquireBase(dir, kernels);
  const tok = base.tok;
  const model = llamaOver(base);
  let lora: string[] = [];
  if (opts.lora) {
    const adapter = await readPeftAdapter(opts.lora.dir, base.config);
    if (!adapter.ok) throw new Error(formatFormatError(adapter.error));
    const attached = model.attachLora(adapter.value, { scale: opts.lora.scale * loraScale(adapter.value.config) });
    lora = ["lora", JSON.stringify({ ...adapter.value.config, scale: attached.scale }), sha256Of(attached.params.flat)];
  }
  // the id covers everything that changes a result: weights, config, tokenizer, chat
  // template and end tokens, and the adapter (factors, config and scale)
  // (the parameters' bytes first, hashed once per base; this is sha256Of over the same parts)
  const h = base.paramsHash();
  // (a byte-level BPE has its generations token-healed (../healing.ts): a part of its own, so
  // generations cached or stored before healing are not reused; a character tokenizer's id is as it was)
  const healing = tokenizerJsonHealable(tok.source) ? ["generate:token-healing"] : [];
  for (const part of [JSON.stringify(base.config), tok.source, JSON.stringify({ template: tok.templateSource ?? null, eos: tok.eosIds, bos: tok.bosId ?? null }), ...lora, ...healing]) h.update(part);
  const id = "builtin:" + h.digest("hex").slice(0, 24);
  return new BuiltinModel(id, model, tok, dir);
}

/** The signal of a batch: it aborts when any request's signal does (the batch's results come back together). */
function oneSignal(reqs: readonly { signal?: AbortSignal }[]): AbortSignal | undefined {
  const signals = reqs.flatMap((r) => (r.signal ? [r.signal] : []));
  return signals.length === 0 ? undefined : signals.every((x) => x === signals[0]) ? signals[0] : AbortSignal.any(signals);
}

/** Sequences decoded together by generateBatch: enough rows for the matmuls, a KV cache each. */
const BATCH_SEQUENCES = 64;
/** scoreTokensBatch's most rows (scored positions) in one forward pass: bounds the activations. */
const TOKENS_PASS_ROWS = 4096;
/** …and its most logits (rows × vocabulary) in one pass: 2^24 floats, 64 MB. */
const TOKENS_PASS_LOGITS = 1 << 24;

class BuiltinModel implements LanguageModel {
  constructor(
    readonly id: string,
    private readonly model: Llama<Float32Array>,
    private readonly tok: FolderTokenizer,
    private readonly dir: string,
  ) {}

  /** One token's text, as a function value (the whole-vocabulary positions build `top` with it later). */
  private readonly tokenText = (id: number): string => this.tok.tokenText(id);

  get vocab(): FolderTokenizer {
    return this.tok;
  }

  get config(): ModelConfig {
    return this.model.config;
  }

  get contextLength(): number {
    return this.model.config.contextLength;
  }

  /** NOTE: equal to sending `messages` when the tokenizer adds no special tokens of its own to a prompt (true of the lab's). */
  chatPrompt(messages: ChatMessage[]): string {
    return this.tok.applyChatTemplate(messages);
  }

  /** Token healing (../healing.ts): a byte-level BPE only; null for other tokenizers (built on first use). */
  private healer?: Healer | null;

  /** The healed prompt, or null (not a byte-level BPE, no trailing whitespace, or no token starts with it). */
  private heal(text: string) {
    this.healer ??= tokenizerJsonHealable(this.tok.source)
      ? new Healer(() => Array.from({ length: this.model.config.vocabSize }, (_, id) => (id < this.tok.size ? this.tok.tokenText(id) : "")))
      : null;
    return this.healer?.heal(text) ?? null;
  }

  /**
   * Prompt ids and engine options for a request (shared by generate and generateStream).
   * `healed`: the whitespace token healing cut off the prompt ("" when not healed), which
   * is stripped from the front of the generated text before stop strings are looked for.
   */
  private prepare(req: GenerateRequest): { prompts: number[][]; opts: GenerateOptions; stop: string[]; healed: string } {
    const full = req.messages ? this.tok.applyChatTemplate(req.messages) : req.prompt;
    // a chat template's closing whitespace is the trained answer position: never healed
    const heal = req.messages ? null : this.heal(full);
    const text = heal ? heal.head : full;
    const healed = heal ? heal.w : "";
    const prompt = req.messages ? this.tok.encode(text) : this.tok.encodeWithSpecial(text);
    if (prompt.length === 0) {
      if (this.tok.bosId === undefined) throw new Error(`${this.dir}: an empty prompt needs a BOS token, and this tokenizer has none; give a prompt.`);
      prompt.push(this.tok.bosId);
    }
    const stop = req.stop ?? [];
    if (stop.some((x) => x === "")) throw new Error("an empty stop string would end generation at once; remove it");
    // NOTE: an unseeded request draws a fresh seed, so it is never reproducible (nor cached).
    const seed = req.seed ?? randomInt(2 ** 31);
    const opts: GenerateOptions = {
      maxTokens: req.maxTokens, temperature: req.temperature ?? 1, topK: req.topK ?? 0, topP: req.topP ?? 1, seed,
      stopTokens: this.tok.eosIds,
      shouldStop: stop.length ? (_, ids) => stop.some((x) => this.text(ids, healed).includes(x)) : undefined,
    };
    // healing: the first token only from those that spell the cut whitespace (its logprob is renormalised over them)
    if (heal) opts.firstAllowed = heal.allowed;
    return { prompts: Array.from({ length: req.n ?? 1 }, () => prompt), opts, stop, healed };
  }

  async generate(req: GenerateRequest): Promise<Generation> {
    throwIfAborted(req.signal);
    const { prompts, opts, stop, healed } = this.prepare(req);
    // without a signal: decoded as generateBatch decodes it, so the two give the same bits
    const seqs = req.signal
      ? await this.decodeInTurns(prompts, opts, req.signal)
      : decodeContinuous(this.model, prompts.map((prompt, j) => ({ prompt, seed: opts.seed! + j, opts })), DECODE_SLOTS);
    return { samples: seqs.map((s) => this.sample(s, stop, req.logprobs, healed)) };
  }

  /** generateTokens one decoding step per turn (turns.ts): the signal is checked before each step. */
  private async decodeInTurns(prompts: number[][], opts: GenerateOptions, signal: AbortSignal): Promise<GeneratedSequence[]> {
    const steps = decodeSteps(this.model, prompts, opts);
    for (;;) {
      const r = await takeTurn(signal, () => steps.next());
      if (r.done) return r.value;
    }
  }

  /** NOTE: with healing, the first token's logprob is the renormalised one (over the allowed ids), and its text includes the healed whitespace. */
  private sample(s: GeneratedSequence, stop: string[], logprobs: boolean | undefined, healed: string): Sample {
    const { text, kept } = this.cut(s.tokens, stop, healed);
    const sample: Sample = { text, finishReason: s.finish };
    if (logprobs) sample.tokens = s.tokens.slice(0, kept).map((id, i) => ({ id, token: this.tok.tokenText(id), logprob: s.logprobs[i] }));
    return sample;
  }

  /**
   * Text as it is generated. Text that could still turn into a stop string is held back
   * until it cannot, so a client never sees a stop string or what follows it.
   */
  async *generateStream(req: GenerateRequest): AsyncIterable<StreamEvent> {
    throwIfAborted(req.signal);
    const { prompts, opts, stop, healed } = this.prepare(req);
    const holdback = Math.max(0, ...stop.map((x) => x.length - 1));
    const sent = prompts.map(() => 0);
    const steps = decodeSteps(this.model, prompts, opts);
    for (;;) {
      const r = req.signal ? await takeTurn(req.signal, () => steps.next()) : steps.next();
      const seqs = r.value;
      for (let i = 0; i < seqs.length; i++) {
        if (sent[i] < 0) continue; // finished earlier
        const { text } = this.cut(seqs[i].tokens, stop, healed);
        const finished = r.done || (seqs[i].finish !== "length" || seqs[i].tokens.length >= req.maxTokens);
        // hold back what could still become a stop string, and a trailing U+FFFD: with
        // byte-level tokenizers a character split across tokens decodes to it until its
        // last byte arrives
        let safe = text.length - holdback;
        while (safe > sent[i] && text[safe - 1] === "\uFFFD") safe--;
        const end = finished ? text.length : Math.max(sent[i], safe);
        const delta = text.slice(sent[i], end);
        if (finished) {
          yield { index: i, delta, finishReason: seqs[i].finish };
          sent[i] = -1;
        } else if (delta) {
          yield { index: i, delta };
          sent[i] = end;
        }
      }
      if (r.done) return;
      // let the server flush (a request with a signal goes through the event loop at its next turn)
      if (!req.signal) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Generated text as it reads after the original prompt: decoded, the healed whitespace stripped. */
  private text(ids: readonly number[], healed: string): string {
    const text = this.tok.decode(ids);
    return healed ? stripHealed(text, healed) : text;
  }

  /** Decoded text (after the original prompt) cut before the first stop string, and how many tokens that keeps. */
  private cut(tokens: readonly number[], stop: string[], healed: string): { text: string; kept: number } {
    return cutAtStop((ids) => this.text(ids, healed), tokens, stop);
  }

  /**
   * Every sequence with its own seed. Without a signal, all requests decode in one continuous
   * batch, and a sample is the same, bit for bit, as from `generate`. With one (the server),
   * requests that sample alike (temperature, top-k/p, length, stop strings) decode together
   * in turns, a group at a time: the same up to floating-point rounding.
   */
  async generateBatch(reqs: GenerateRequest[]): Promise<Generation[]> {
    const signal = oneSignal(reqs);
    throwIfAborted(signal);
    const prepared = reqs.map((r) => this.prepare(r));
    if (!signal) {
      // every sample of every request in one continuous batch (../batch/continuous.ts): a
      // finished sequence's slot takes the next waiting one, whatever its sampling settings
      const rows = prepared.flatMap((p, i) => p.prompts.map((prompt, j) => ({ req: i, prompt, seed: p.opts.seed! + j, opts: p.opts })));
      const seqs = decodeContinuous(this.model, rows, DECODE_SLOTS);
      const out: Generation[] = reqs.map(() => ({ samples: [] }));
      seqs.forEach((s, k) => out[rows[k].req].samples.push(this.sample(s, prepared[rows[k].req].stop, reqs[rows[k].req].logprobs, prepared[rows[k].req].healed)));
      return out;
    }
    const groups = new Map<string, number[]>();
    prepared.forEach((p, i) => {
      const { maxTokens, temperature, topK, topP } = p.opts;
      // the healed whitespace decides the first token's allowed ids and the stop check, so it is part of the group
      const key = JSON.stringify([maxTokens, temperature, topK, topP, p.stop, p.healed]);
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const out: Generation[] = reqs.map(() => ({ samples: [] }));
    for (const members of groups.values()) {
      const first = prepared[members[0]];
      const rows = members.flatMap((i) => prepared[i].prompts.map((prompt, j) => ({ req: i, prompt, seed: prepared[i].opts.seed! + j })));
      for (let at = 0; at < rows.length; at += BATCH_SEQUENCES) {
        const chunk = rows.slice(at, at + BATCH_SEQUENCES);
        const chunkOpts: GenerateOptions = { ...first.opts, seed: undefined, seeds: chunk.map((r) => r.seed) };
        const prompts = chunk.map((r) => r.prompt);
        const seqs = signal ? await this.decodeInTurns(prompts, chunkOpts, signal) : generateTokens(this.model, prompts, chunkOpts);
        seqs.forEach((s, k) => out[chunk[k].req].samples.push(this.sample(s, first.stop, reqs[chunk[k].req].logprobs, first.healed)));
      }
    }
    return out;
  }

  async score(req: ScoreRequest): Promise<ContinuationScore> {
    return (await this.scoreBatch([req]))[0];
  }

  async scoreBatch(reqs: ScoreRequest[]): Promise<ContinuationScore[]> {
    const signal = oneSignal(reqs);
    throwIfAborted(signal);
    const items = reqs.map((r, i) => {
      const s = splitForScoring(this.tok, r.prompt, r.continuation, `builtin:${this.dir} (score request ${i})`);
      if (!s.ok) throw s.error;
      return s.value;
    });
    // one ragged batch per group of items that fits comfortably in memory
    const results: ContinuationScore[] = [];
    const GROUP = 32;
    for (let g = 0; g < items.length; g += GROUP) {
      const group = items.slice(g, g + GROUP);
      const scored = signal ? await takeTurn(signal, () => scoreContinuations(this.model, group)) : scoreContinuations(this.model, group);
      scored.forEach((s, j) => {
        const cont = items[g + j].continuation;
        const tokens = cont.map((id, t) => ({ id, token: this.tok.tokenText(id), logprob: s.logprobs[t], isGreedy: s.greedy[t] }));
        results.push({ logprob: s.logprobs.reduce((a, b) => a + b, 0), isGreedy: s.greedy.every(Boolean), tokens });
      });
    }
    return results;
  }

  async nextTokenLogprobs(prefix: TokenIds, k?: number): Promise<TokenLogprobs> {
    const lp = nextTokenLogprobs(this.model, [...prefix]);
    const top = k !== undefined && k < lp.length;
    const entries = topEntries(topIndices(lp, top ? k : lp.length), lp, this.tokenText);
    return top ? { kind: "top-k", entries } : { kind: "full", entries };
  }

  async scoreTokens(ids: TokenIds, topK: number): Promise<PositionScore[]> {
    if (ids.length < 2) return [];
    this.checkTokens(ids);
    const [logits] = inferForward(this.model, [{ cache: new KvCache(this.model.config, ids.length - 1), tokens: Int32Array.from(ids.slice(0, -1)), logits: "all" }]);
    return this.positions(ids, logits, topK);
  }

  /**
   * Several sequences in one forward pass where that gives each the same bits as a call of
   * its own: sequences of at least MIN_ROWS scored positions go together (the linear layers
   * treat rows alike in any company from 8 rows up, and attention runs per sequence; see
   * ../batch/continuous.ts), up to TOKENS_PASS_ROWS rows and TOKENS_PASS_LOGITS logits a
   * pass; shorter ones, and longer ones, run alone.
   */
  async scoreTokensBatch(reqs: readonly TokenScoreRequest[]): Promise<PositionScore[][]> {
    for (const r of reqs) if (r.ids.length >= 2) this.checkTokens(r.ids);
    const V = this.model.config.vocabSize;
    const out: PositionScore[][] = new Array(reqs.length);
    let pass: number[] = [];
    let rows = 0;
    const flush = () => {
      if (pass.length === 0) return;
      const segments = pass.map((i) => {
        const ids = reqs[i].ids;
        return { cache: new KvCache(this.model.config, ids.length - 1), tokens: Int32Array.from(ids.slice(0, -1)), logits: "all" as const };
      });
      const logits = inferForward(this.model, segments);
      pass.forEach((i, j) => (out[i] = this.positions(reqs[i].ids, logits[j], reqs[i].topK)));
      pass = [];
      rows = 0;
    };
    for (const [i, r] of reqs.entries()) {
      const n = r.ids.length - 1;
      if (n < MIN_ROWS || n > TOKENS_PASS_ROWS || n * V > TOKENS_PASS_LOGITS) {
        out[i] = await this.scoreTokens(r.ids, r.topK);
        continue;
      }
      if (rows + n > TOKENS_PASS_ROWS || (rows + n) * V > TOKENS_PASS_LOGITS) flush();
      pass.push(i);
      rows += n;
    }
    flush();
    return out;
  }

  private checkTokens(ids: TokenIds): void {
    if (ids.length > this.model.config.contextLength) {
      throw new Error(`${ids.length} tokens exceed the model's context length ${this.model.config.contextLength}`);
    }
  }

  /** scoreTokens' answer from the logits (ids.length − 1, V) of ids but the last. */
  private positions(ids: TokenIds, logits: Float32Array, topK: number): PositionScore[] {
    const V = this.model.config.vocabSize;
    const out: PositionScore[] = [];
    let ranking: Int32Array | undefined; // the previous position's, when the whole vocabulary is asked for
    for (let t = 1; t < ids.length; t++) {
      const lp = logSoftmax(logits.subarray((t - 1) * V, t * V));
      const id = ids[t];
      if (topK >= V) {
        // re-ranked from the previous position's order, which differs little
        ranking = rankFrom(lp, ranking);
        out.push(wholeVocabularyPosition(id, lp, ranking, this.tokenText));
      } else out.push({ id, token: this.tok.tokenText(id), logprob: lp[id], top: topEntries(topIndices(lp, topK), lp, this.tokenText) });
    }
    return out;
  }

  /** One sequence with its own KV cache: each feed runs only the new tokens. */
  decoder(): TokenDecoder {
    const model = this.model;
    const cache = new KvCache(model.config);
    return {
      get length() {
        return cache.length;
      },
      async feed(ids: TokenIds): Promise<Float64Array> {
        if (ids.length === 0) throw new Error("decoder.feed needs at least one token");
        if (cache.length + ids.length > model.config.contextLength) {
          throw new Error(`${cache.length + ids.length} tokens exceed the model's context length ${model.config.contextLength}`);
        }
        const [logits] = inferForward(model, [{ cache, tokens: Int32Array.from(ids), logits: "last" }]);
        return logSoftmax(logits);
      },
    };
  }

  /** `sequences` KV caches; each feed runs the new tokens of every sequence given in one ragged batch. */
  batchDecoder(sequences: number): BatchDecoder {
    const model = this.model;
    const caches = Array.from({ length: sequences }, () => new KvCache(model.config));
    return {
      async feed(steps): Promise<Float64Array[]> {
        if (steps.length === 0) return [];
        for (const s of steps) {
          if (s.ids.length === 0) throw new Error(`sequence ${s.seq}: feed needs at least one token`);
          if (caches[s.seq].length + s.ids.length > model.config.contextLength) {
            throw new Error(`sequence ${s.seq}: ${caches[s.seq].length + s.ids.length} tokens exceed the model's context length ${model.config.contextLength}`);
          }
        }
        const logits = inferForward(model, steps.map((s) => ({ cache: caches[s.seq], tokens: Int32Array.from(s.ids), logits: "last" as const })));
        return logits.map((l) => logSoftmax(l));
      },
    };
  }

  async close(): Promise<void> {}
}
