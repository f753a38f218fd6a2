/**
 * Decode-time composition needs one vocabulary: the same ids for the same tokens, the same
 * BOS rule and the same special tokens. Checked before any request, naming the first difference
 * (a doubled or missing BOS alone moves benchmark scores by points).
 */
import type { Vocabulary } from "../backends/index.js";

export interface NamedVocab {
  role: string;
  spec: string;
  vocab: Vocabulary | undefined;
}

/** Texts whose encodings must agree: a plain prompt, a chat-like one, digits and spaces. */
const PROBES = ["", "Problem: 3 + 4 = ?\nAnswer: 7", "<|user|>\nhi<|end|>\n<|assistant|>\n", "  two  spaces "];

export function vocabularyDifference(models: readonly NamedVocab[]): string | null {
  const [first, ...rest] = models;
  for (const m of models) {
    if (!m.vocab) return `${m.role} ${m.spec} gives no token-level access (an OpenAI-compatible server): compose such models through their top-k log-probs instead`;
  }
  const a = first.vocab!;
  for (const m of rest) {
    const b = m.vocab!;
    const where = `${first.role} ${first.spec} and ${m.role} ${m.spec}`;
    if (a.size !== b.size) return `${where} have vocabularies of ${a.size} and ${b.size} tokens`;
    for (let id = 0; id < a.size; id++) {
      if (a.tokenText(id) !== b.tokenText(id)) return `${where} differ at token id ${id}: ${JSON.stringify(a.tokenText(id))} vs ${JSON.stringify(b.tokenText(id))}`;
    }
    for (const text of PROBES) {
      const x = a.encodePrompt(text);
      const y = b.encodePrompt(text);
      if (x.length !== y.length || x.some((v, i) => v !== y[i])) {
        return `${where} encode the prompt ${JSON.stringify(text)} differently ([${x.join(", ")}] vs [${y.join(", ")}]): different BOS rules or special tokens`;
      }
    }
    const ea = [...(a.eosIds ?? [])].sort().join(",");
    const eb = [...(b.eosIds ?? [])].sort().join(",");
    if (ea !== eb) return `${where} end generation on different tokens ([${ea}] vs [${eb}])`;
  }
  return null;
}
