/**
 * Byte-level BPE as GPT-2 defines it (Radford et al. 2019, openai/gpt-2 encoder.py;
 * Sennrich et al. 2016 for BPE): text is split into words by GPT-2's pattern, each word's
 * UTF-8 bytes become byte-level characters (byte-level.ts), and merges are applied by
 * rank — repeatedly the adjacent pair with the lowest rank, all its occurrences left to
 * right — until none applies. Every string is representable, so <unk> is never produced.
 *
 * Id layout: SPECIAL_TOKENS at 0..7 (matched before pre-tokenisation when `allowSpecial`),
 * the 256 byte tokens at 8..263 in byte order, then merged tokens in merge order. A merge
 * whose result is already a token points at that token (huggingface/tokenizers does
 * the same), so there may be more merges than merged tokens.
 */
import { bytesToUnicode, preTokenize, unicodeToBytes } from "./byte-level.js";
import { SPECIAL_TOKENS, type EncodeOptions, type Tokenizer } from "./tokenizer.js";

/** Ids of the 256 byte tokens start here (after the special tokens). */
export const BYTE_OFFSET = SPECIAL_TOKENS.length;

export class BpeTokenizer implements Tokenizer {
  readonly kind = "bpe" as const;
  readonly tokens: readonly string[];
  /** Merge rules in rank order, as token strings. */
  readonly merges: readonly (readonly [string, string])[];
  readonly pad = 0;
  readonly bos = 1;
  readonly eos = 2;
  readonly unk = 3;
  private readonly ids: Map<string, number>;
  /** (left id, right id) → [rank, merged id]. */
  private readonly ranks = new Map<number, [number, number]>();
  private readonly cache = new Map<string, number[]>();

  /**
   * `merged`: the tokens after the byte tokens, in id order; `merges`: the rules in rank
   * order, each of two existing tokens whose concatenation is a token. Throws otherwise.
   */
  constructor(merged: readonly string[], merges: readonly (readonly [string, string])[]) {
    this.tokens = [...SPECIAL_TOKENS, ...bytesToUnicode(), ...merged];
    this.ids = new Map();
    this.tokens.forEach((t, i) => {
      if (this.ids.has(t)) throw new Error(`BpeTokenizer: token ${JSON.stringify(t)} appears twice (ids ${this.ids.get(t)} and ${i})`);
      this.ids.set(t, i);
    });
    this.merges = merges.map(([a, b]) => [a, b] as const);
    merges.forEach(([a, b], rank) => {
      const l = this.ids.get(a), r = this.ids.get(b), m = this.ids.get(a + b);
      if (l === undefined || r === undefined || m === undefined || l < BYTE_OFFSET || r < BYTE_OFFSET) {
        throw new Error(`BpeTokenizer: merge ${rank} (${JSON.stringify(a)} ${JSON.stringify(b)}) needs both parts and their concatenation in the vocab`);
      }
      const key = pairKey(l, r);
      if (!this.ranks.has(key)) this.ranks.set(key, [rank, m]);
    });
  }

  get size(): number {
    return this.tokens.length;
  }

  idOf(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new Error(`"${token}" is not a token of the BPE tokenizer`);
    return id;
  }

  isSpecial(id: number): boolean {
    return id < BYTE_OFFSET;
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    if (!opts.allowSpecial) {
      this.encodeOrdinary(text, out);
      return out;
    }
    let start = 0;
    for (let i = text.indexOf("<"); i >= 0; i = text.indexOf("<", i + 1)) {
      const special = SPECIAL_TOKENS.find((s) => text.startsWith(s, i));
      if (!special) continue;
      this.encodeOrdinary(text.slice(start, i), out);
      out.push(this.ids.get(special)!);
      start = i + special.length;
      i = start - 1;
    }
    this.encodeOrdinary(text.slice(start), out);
    return out;
  }

  decode(ids: Iterable<number>, opts: { skipSpecial?: boolean } = {}): string {
    const toByte = unicodeToBytes();
    let s = "";
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length) s += Buffer.from(bytes).toString("utf8");
      bytes = [];
    };
    for (const id of ids) {
      const t = this.tokens[id];
      if (t === undefined) continue;
      if (this.isSpecial(id)) {
        flush();
        if (!opts.skipSpecial) s += t;
        continue;
      }
      for (const ch of t) bytes.push(toByte.get(ch)!);
    }
    flush();
    return s;
  }

  private encodeOrdinary(text: string, out: number[]): void {
    if (!text) return;
    for (const word of preTokenize(text)) {
      let ids = this.cache.get(word);
      if (!ids) {
        ids = this.mergeWord(word);
        if (this.cache.size < 100_000) this.cache.set(word, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  /** The word's byte tokens, merged by rank until no merge applies. */
  private mergeWord(word: string): number[] {
    const sym = [...Buffer.from(word, "utf8")].map((b) => b + BYTE_OFFSET);
    while (sym.length > 1) {
      let best = -1, bestRank = Infinity, bestId = 0;
      for (let i = 0; i + 1 < sym.length; i++) {
        const r = this.ranks.get(pairKey(sym[i], sym[i + 1]));
        if (r && r[0] < bestRank) [best, bestRank, bestId] = [i, r[0], r[1]];
      }
      if (best < 0) break;
      const l = sym[best], r = sym[best + 1];
      // every occurrence of this pair, left to right
      const next: number[] = [];
      for (let i = 0; i < sym.length; i++) {
        if (i + 1 < sym.length && sym[i] === l && sym[i + 1] === r) {
          next.push(bestId);
          i++;
        } else next.push(sym[i]);
      }
      sym.splice(0, sym.length, ...next);
    }
    return sym;
  }
}

/** One number for an ordered pair of ids (ids < 2^21). */
export function pairKey(a: number, b: number): number {
  return a * 2_097_152 + b;
}
