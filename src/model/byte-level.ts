/**
 * Byte-level pieces of GPT-2's tokenizer (Radford et al. 2019; openai/gpt-2 encoder.py):
 * the byte → unicode table that lets every UTF-8 byte be a printable vocab character
 * (printable bytes map to themselves, the rest to U+0100 + n, so " " → "Ġ", "\n" → "Ċ"),
 * and the pre-tokenisation regex that splits text into words before merges apply
 * (the same pattern huggingface/tokenizers' ByteLevel pre-tokenizer and llama.cpp's
 * "gpt2" pre-tokenizer use).
 */

let table: string[] | null = null;
let inverse: Map<string, number> | null = null;

/** GPT-2's byte → unicode character table (256 entries). */
export function bytesToUnicode(): readonly string[] {
  if (table) return table;
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const t: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) t[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  return (table = t);
}

/** The inverse table: a byte-level character → its byte. */
export function unicodeToBytes(): ReadonlyMap<string, number> {
  if (inverse) return inverse;
  return (inverse = new Map(bytesToUnicode().map((c, b) => [c, b])));
}

/** Text as a byte-level BPE vocab stores it: each UTF-8 byte through the table. */
export function byteLevelText(text: string): string {
  const t = bytesToUnicode();
  let s = "";
  for (const b of Buffer.from(text, "utf8")) s += t[b];
  return s;
}

/** GPT-2's pre-tokenisation pattern (encoder.py `pat`), with Unicode property classes. */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The words GPT-2's pattern splits `text` into (their concatenation is `text`). */
export function preTokenize(text: string): string[] {
  return text.match(new RegExp(GPT2_PATTERN)) ?? [];
}
