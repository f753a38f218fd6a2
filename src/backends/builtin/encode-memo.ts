/**
 * A tokenizer's last encodings, remembered. Encoding is a pure function of the text, and an
 * audit encodes the same texts again and again: a question once per answer option scored,
 * per probe and per model of the pair. The Hugging Face tokenizer in JavaScript costs more
 * per character than a small model's forward pass here (profile in docs/PERFORMANCE.md).
 *
 * Least recently used entries go first; texts longer than MAX_CHARS are not kept (a long
 * document is rarely encoded twice, and would hold memory). Each caller gets its own copy.
 */
const MAX_ENTRIES = 2048;
const MAX_CHARS = 4096;

export function memoEncode(encode: (text: string) => number[], maxEntries = MAX_ENTRIES): (text: string) => number[] {
  const memo = new Map<string, number[]>();
  return (text) => {
    if (text.length > MAX_CHARS) return encode(text);
    let ids = memo.get(text);
    if (ids) memo.delete(text); // re-inserted below: now the most recent
    else {
      ids = encode(text);
      if (memo.size >= maxEntries) memo.delete(memo.keys().next().value as string);
    }
    memo.set(text, ids);
    return ids.slice();
  };
}
