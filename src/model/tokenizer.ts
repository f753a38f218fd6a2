/**
 * The lab's tokenizers share one interface (`Tokenizer`): this file's character
 * tokenizer and byte-level BPE (bpe-tokenizer.ts).
 *
 * The character tokenizer: one token per character of printable ASCII (plus newline and
 * tab), and special tokens for sequence boundaries and chat roles. Character level
 * keeps small models honest (no memorised multi-character shortcuts) and makes every
 * string representable. Saved as a standard Hugging Face `tokenizer.json` (see
 * src/formats).
 */

export const SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>", "<unk>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

/** Characters in id order after the special tokens: \n, \t, then ASCII 32..126. */
export function charAlphabet(): string[] {
  const chars = ["\n", "\t"];
  for (let c = 32; c <= 126; c++) chars.push(String.fromCharCode(c));
  return chars;
}

export interface EncodeOptions {
  /** Recognise special-token strings such as "<|user|>" inside the text (default false). */
  allowSpecial?: boolean;
}

/**
 * What the lab needs of a tokenizer. Ids 0..7 are SPECIAL_TOKENS in every kind
 * (pad, bos, eos, unk, then the chat roles), so frames and data builders work unchanged.
 */
export interface Tokenizer {
  readonly kind: "char" | "bpe";
  /** id → token string (byte-level text for BPE's non-special tokens). */
  readonly tokens: readonly string[];
  readonly size: number;
  readonly pad: number;
  readonly bos: number;
  readonly eos: number;
  readonly unk: number;
  /** The id of a token string; throws for a string that is not one token. */
  idOf(token: string): number;
  isSpecial(id: number): boolean;
  encode(text: string, opts?: EncodeOptions): number[];
  /** Special tokens are rendered as their names unless `skipSpecial`. */
  decode(ids: Iterable<number>, opts?: { skipSpecial?: boolean }): string;
}

export class CharTokenizer implements Tokenizer {
  readonly kind = "char" as const;
  /** id → token string. */
  readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;
  readonly pad = 0;
  readonly bos = 1;
  readonly eos = 2;
  readonly unk = 3;

  constructor() {
    this.tokens = [...SPECIAL_TOKENS, ...charAlphabet()];
    this.ids = new Map(this.tokens.map((t, i) => [t, i]));
  }

  get size(): number {
    return this.tokens.length;
  }

  idOf(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new Error(`"${token}" is not a token of the character tokenizer`);
    return id;
  }

  isSpecial(id: number): boolean {
    return id < SPECIAL_TOKENS.length;
  }

  /** Characters outside the alphabet become <unk>. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    let i = 0;
    while (i < text.length) {
      if (opts.allowSpecial && text[i] === "<") {
        const special = SPECIAL_TOKENS.find((s) => text.startsWith(s, i));
        if (special) {
          out.push(this.ids.get(special)!);
          i += special.length;
          continue;
        }
      }
      out.push(this.ids.get(text[i]) ?? this.unk);
      i++;
    }
    return out;
  }

  /** Special tokens are rendered as their names unless `skipSpecial`. */
  decode(ids: Iterable<number>, opts: { skipSpecial?: boolean } = {}): string {
    let s = "";
    for (const id of ids) {
      if (opts.skipSpecial && this.isSpecial(id)) continue;
      s += this.tokens[id] ?? "";
    }
    return s;
  }
}
