/**
 * The calls most probes share: a model's greedy response to each item in its own prompt
 * format, and forced answers after a prefix. Identical requests across probes are
 * answered once by the audit's request cache.
 *
 * Requests that do not fit the model's context. Probes extend prompts (a chat-rendered
 * question plus a chain of thought, a filler, a paraphrase, a sample and a verification
 * question …), and a long item can exceed a small model's context (the zoo's models have
 * 256 tokens). That is a property of the item and the model, not a failure of the run:
 * the fitting helpers below (generateFitting, generationsFitting, scoreFitting) send
 * requests in batches; a batch that throws a context error (isContextError) is sent
 * again request by request, and a request that still throws one gets `null` in its place
 * (and is reported to `onMisfit`, for the record's note: contextNote). Any other error
 * propagates. Callers give the metrics that needed such a request null with a note,
 * never 0 (probe.ts).
 */
import type { ContinuationScore, GenerateRequest, Generation, LanguageModel, Sample, ScoreRequest } from "../backends/index.js";
import type { Item } from "./item.js";
import { clipText } from "./clip.js";
import type { ProbeContext } from "./probe.js";

/**
 * Whether `e` says a request does not fit the model's context: its message mentions
 * "context" (case-insensitive). Meant to catch what the backends throw for that:
 *
 *   builtin generate   "a prompt of 262 tokens exceeds the context length 256" (model/generate.ts)
 *   builtin score      "item 0: prompt + continuation (300 tokens) exceeds the context length 256"
 *   builtin tokens     "300 tokens exceed the model's context length 256" (scoreTokens)
 *   llama.cpp          "…: generate: the prompt is 300 tokens but the context holds 255. …",
 *                      "…: score: prompt + continuation is 300 tokens but the context holds 255 (context size 256 minus one). …"
 *   OpenAI-compatible  an HTTP 400 whose server message the BackendError quotes: "This model's
 *                      maximum context length is 4096 tokens …" (OpenAI, vLLM),
 *                      "context_length_exceeded", "the request exceeds the available context size" (llama-server)
 *
 * NOTE: the test is deliberately loose (a server's wording varies); an unrelated error
 * whose message happens to say "context" is treated as a misfit of that one request.
 */
export function isContextError(e: unknown): e is Error {
  return e instanceof Error && /context/i.test(e.message);
}

/** The context length (tokens) a context error states, when it states one. */
export function contextLengthOf(e: Error | undefined): number | undefined {
  if (!e) return undefined;
  const m = /context length (?:is |of )?(\d+)/i.exec(e.message) ?? /context size (?:is |of )?(\d+)/i.exec(e.message) ?? /context holds (\d+)/i.exec(e.message);
  return m ? Number(m[1]) : undefined;
}

/**
 * "`what` does not fit the model's context of N tokens" (N from the error when it says;
 * otherwise the backend's own message in parentheses). `whose` names the model when it is
 * not the audited one ("the scorer's").
 */
export function contextNote(what: string, error: Error | undefined, whose = "the model's"): string {
  const n = contextLengthOf(error);
  if (n !== undefined) return `${what} does not fit ${whose} context of ${n} tokens`;
  const msg = error?.message ?? "";
  return `${what} does not fit ${whose} context${msg ? ` (${clipText(msg, 160)})` : ""}`;
}

/** Told the index (in the caller's request list) and the context error of each request that did not fit. */
export type OnMisfit = (index: number, error: Error) => void;

/**
 * `call` over `reqs` in batches of `size`; a batch that throws a context error is sent
 * again one request at a time, and a request that still throws one is null (reported to
 * `onMisfit`). Other errors, and a batch answered with the wrong number of results, throw.
 */
async function fitting<Q, R>(reqs: readonly Q[], size: number, call: (batch: Q[]) => Promise<R[]>, onMisfit?: OnMisfit): Promise<(R | null)[]> {
  const step = Math.max(1, Math.floor(size) || 1);
  const out: (R | null)[] = [];
  const send = async (batch: Q[]): Promise<R[]> => {
    const got = await call(batch);
    if (got.length !== batch.length) throw new Error(`the backend answered ${got.length} of ${batch.length} requests in a batch`);
    return got;
  };
  for (let at = 0; at < reqs.length; at += step) {
    const batch = reqs.slice(at, at + step);
    try {
      out.push(...(await send(batch)));
      continue;
    } catch (e) {
      if (!isContextError(e)) throw e;
      if (batch.length === 1) {
        onMisfit?.(at, e);
        out.push(null);
        continue;
      }
    }
    for (const [j, r] of batch.entries()) {
      try {
        out.push((await send([r]))[0]);
      } catch (e) {
        if (!isContextError(e)) throw e;
        onMisfit?.(at + j, e);
        out.push(null);
      }
    }
  }
  return out;
}

/** generateBatch in batches: each request's whole generation, null where the request does not fit the context. */
export function generationsFitting(model: LanguageModel, reqs: readonly GenerateRequest[], batchSize: number, onMisfit?: OnMisfit): Promise<(Generation | null)[]> {
  return fitting(reqs, batchSize, (b) => model.generateBatch(b), onMisfit);
}

/** generateBatch in batches: the first sample of each request, null where the request does not fit the context. */
export async function generateFitting(model: LanguageModel, reqs: readonly GenerateRequest[], batchSize: number, onMisfit?: OnMisfit): Promise<(Sample | null)[]> {
  const gens = await generationsFitting(model, reqs, batchSize, onMisfit);
  return gens.map((g, i) => {
    if (g === null) return null;
    const s = g.samples[0];
    if (!s) throw new Error(`request ${i}: the backend returned no sample`);
    return s;
  });
}

/** scoreBatch in batches: each request's score, null where prompt + continuation does not fit the context. */
export function scoreFitting(model: LanguageModel, reqs: readonly ScoreRequest[], batchSize: number, onMisfit?: OnMisfit): Promise<(ContinuationScore | null)[]> {
  return fitting(reqs, batchSize, (b) => model.scoreBatch(b), onMisfit);
}

/** Greedy full responses, one per item, in item order; null where the rendered prompt does not fit the context. */
export async function greedyResponses(model: LanguageModel, items: readonly Item[], ctx: ProbeContext, onMisfit?: OnMisfit): Promise<(Sample | null)[]> {
  const reqs: GenerateRequest[] = items.map((it) => ({ prompt: ctx.render(it.prompt), maxTokens: ctx.maxTokens, temperature: 0 }));
  return generateFitting(model, reqs, ctx.batchSize, onMisfit);
}

/**
 * The answer a model gives right after `prefix` (a rendered prompt, a partial chain of
 * thought, and the answer cue): greedy, up to the end of the line; null where the prefix
 * does not fit the context.
 */
export async function forcedAnswers(
  model: LanguageModel, prefixes: readonly string[], ctx: Pick<ProbeContext, "batchSize">, maxTokens = 24, onMisfit?: OnMisfit,
): Promise<(string | null)[]> {
  const reqs: GenerateRequest[] = prefixes.map((prompt) => ({ prompt, maxTokens, temperature: 0, stop: ["\n"] }));
  const samples = await generateFitting(model, reqs, ctx.batchSize, onMisfit);
  return samples.map((s) => (s === null ? null : s.text.split("\n")[0].trim()));
}
