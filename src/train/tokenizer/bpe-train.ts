/**
 * Training byte-level BPE (Sennrich et al. 2016, "Neural Machine Translation of Rare Words
 * with Subword Units", Algorithm 1; GPT-2's byte-level variant, Radford et al. 2019):
 *
 *   1. split every text into words with GPT-2's pattern and count the distinct words;
 *   2. write each word as its UTF-8 byte tokens;
 *   3. repeatedly merge the most frequent adjacent pair of tokens (counted over words ×
 *      their frequency) into a new token, until the vocabulary holds `vocabSize` tokens.
 *
 * Pair counts are kept incrementally: a merge updates only the words that contain its
 * pair (an index from pair to words), and a lazy max-heap finds the next best pair, so a
 * merge costs the size of the words it touches, not a recount of the corpus.
 *
 * Tie-break (deterministic): among pairs of equal count, the one whose left token id is
 * smallest, then whose right token id is smallest (ids follow merge order, so earlier
 * tokens win). Training stops early, with a reason, when no pair occurs twice.
 */
import { BpeTokenizer, BYTE_OFFSET, SPECIAL_TOKENS, bytesToUnicode, pairKey, preTokenize } from "../../model/index.js";

export interface BpeTrainOptions {
  /** Tokens in all: 8 special + 256 byte tokens + merged tokens (≥ 264). */
  vocabSize: number;
}

export interface BpeTrainResult {
  tokenizer: BpeTokenizer;
  /** Why training stopped: the vocabulary is full, or no pair occurs twice. */
  stopped: string;
  /** Distinct words and their total count in the training texts. */
  words: { distinct: number; total: number };
}

const PAIR_BASE = 2_097_152;

/** A max-heap of [count, pair key]: higher count first, then smaller key (the tie-break). */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size(): number { return this.keys.length; }
  private before(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }
  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.keys.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastC = this.counts.pop()!, lastK = this.keys.pop()!;
    if (this.keys.length) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < this.keys.length && this.before(l, m)) m = l;
        if (r < this.keys.length && this.before(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/** Train a byte-level BPE tokenizer on `texts` (see the file comment); also says why it stopped. */
export function trainBpeReport(texts: Iterable<string>, opts: BpeTrainOptions): BpeTrainResult {
  const base = SPECIAL_TOKENS.length + 256;
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < base || opts.vocabSize >= PAIR_BASE) {
    throw new Error(`trainBpe: vocabSize ${opts.vocabSize} must be an integer from ${base} (8 special + 256 byte tokens) to ${PAIR_BASE - 1}`);
  }
  // 1. word counts
  const wordCounts = new Map<string, number>();
  let total = 0;
  for (const text of texts) {
    for (const w of preTokenize(text)) {
      wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
      total++;
    }
  }
  // 2. words as byte tokens; pair counts and the words each pair occurs in
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, n] of wordCounts) {
    words.push([...Buffer.from(w, "utf8")].map((b) => b + BYTE_OFFSET));
    freq.push(n);
  }
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const addPairs = (wi: number, sign: 1 | -1, delta: Map<number, number> | null) => {
    const s = words[wi], f = freq[wi] * sign;
    for (let i = 0; i + 1 < s.length; i++) {
      const k = pairKey(s[i], s[i + 1]);
      pairCount.set(k, (pairCount.get(k) ?? 0) + f);
      if (delta) delta.set(k, (delta.get(k) ?? 0) + f);
      if (sign > 0) {
        const ws = pairWords.get(k);
        if (!ws) pairWords.set(k, [wi]);
        else if (ws[ws.length - 1] !== wi) ws.push(wi);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1, null);
  const heap = new PairHeap();
  for (const [k, c] of pairCount) heap.push(c, k);

  // 3. merges
  const tokens: string[] = [...SPECIAL_TOKENS, ...bytesToUnicode()];
  const ids = new Map(tokens.map((t, i) => [t, i]));
  const merges: [string, string][] = [];
  let stopped = `the vocabulary reached ${opts.vocabSize} tokens`;
  while (tokens.length < opts.vocabSize) {
    if (!heap.size) {
      stopped = `stopped at ${tokens.length} tokens: no pair of tokens occurs twice in the training text`;
      break;
    }
    const [count, key] = heap.pop();
    const now = pairCount.get(key) ?? 0;
    if (count !== now) {
      if (now > 0) heap.push(now, key);
      continue;
    }
    if (count < 2) {
      stopped = `stopped at ${tokens.length} tokens: no pair of tokens occurs twice in the training text`;
      break;
    }
    const a = Math.floor(key / PAIR_BASE), b = key % PAIR_BASE;
    const text = tokens[a] + tokens[b];
    let id = ids.get(text);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(text);
      ids.set(text, id);
    }
    merges.push([tokens[a], tokens[b]]);
    const delta = new Map<number, number>();
    const touched = pairWords.get(key) ?? [];
    pairWords.delete(key);
    for (const wi of touched) {
      const s = words[wi];
      let has = false;
      for (let i = 0; i + 1 < s.length; i++) if (s[i] === a && s[i + 1] === b) { has = true; break; }
      if (!has) continue;
      addPairs(wi, -1, delta);
      const merged: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          merged.push(id);
          i++;
        } else merged.push(s[i]);
      }
      words[wi] = merged;
      addPairs(wi, 1, delta);
    }
    pairCount.delete(key);
    for (const [k, d] of delta) {
      if (k === key || d === 0) continue;
      const c = pairCount.get(k) ?? 0;
      if (c <= 0) pairCount.delete(k);
      else heap.push(c, k);
    }
  }
  return {
    tokenizer: new BpeTokenizer(tokens.slice(SPECIAL_TOKENS.length + 256), merges),
    stopped,
    words: { distinct: wordCounts.size, total },
  };
}

/** Train a byte-level BPE tokenizer of `vocabSize` tokens on `texts` (trainBpeReport without the report). */
export function trainBpe(texts: Iterable<string>, opts: BpeTrainOptions): BpeTokenizer {
  return trainBpeReport(texts, opts).tokenizer;
}
