/**
 * Where the prompt ends and the continuation begins, in tokens, for a backend that holds
 * a Hugging Face tokenizer (builtin; eft's composed models): the one rule of
 * ../boundary.ts (lm-evaluation-harness's `_encode_pair` after its whitespace
 * convention, with the prompt's tokens checked to be a prefix of the whole's, and an
 * empty prompt conditioned on BOS) over `encodeWithSpecial`.
 */
import { BoundaryError, formatBoundaryProblem, splitForScore, type BoundaryProblem } from "../boundary.js";
import type { FolderTokenizer } from "./hf-tokenizer.js";

/** What the split needs of a tokenizer: encoding with its special tokens, a BOS for an empty prompt, and (for errors) decoding. */
export type SplitTokenizer = Pick<FolderTokenizer, "encodeWithSpecial" | "bosId"> & Partial<Pick<FolderTokenizer, "decode">>;

export type Split =
  | { ok: true; value: { prompt: number[]; continuation: number[] } }
  | { ok: false; message: string; problem: BoundaryProblem; error: BoundaryError };

/** `model` names the backend and model in errors (e.g. "builtin:/models/m"). */
export function splitForScoring(tok: SplitTokenizer, prompt: string, continuation: string, model = "builtin"): Split {
  const s = splitForScore(model, {
    encode: (t) => tok.encodeWithSpecial(t),
    bos: tok.bosId,
    pieceText: (id) => (tok.decode ? tok.decode([id]) : `#${id}`),
  }, { prompt, continuation });
  if (!s.ok) return { ok: false, message: formatBoundaryProblem(s.problem), problem: s.problem, error: new BoundaryError(s.problem) };
  return { ok: true, value: { prompt: s.ids.slice(0, s.start), continuation: s.ids.slice(s.start) } };
}
