/**
 * The direct scorer: prompt log-probs straight from llama.cpp, for the gguf backend's
 * `score`, `scoreBatch`, `scoreTokens` and `nextTokenLogprobs`.
 *
 * node-llama-cpp reads each position's distribution with one sampling call (a round
 * trip to a worker thread that returns the whole vocabulary as a JS array and a Map),
 * ~60 µs a position here; on the zoo models that is several times the forward pass
 * itself, and node-llama-cpp has no call that returns many positions' logits at once.
 * The addon (native/llama/ftledger_llama.c, built by scripts/build-llama.mjs against the
 * libllama that node-llama-cpp's prebuilt CPU package ships) evaluates a request in one
 * llama_decode per 512 tokens with an output at every position asked for, and reads the
 * log-softmax, the scored token, the argmax and the top-k in C on a worker thread.
 *
 * Used when the addon is built and the model runs the way the addon can run it: on the
 * CPU, no LoRA adapter, node-llama-cpp's prebuilt binary (the same libllama file, so the
 * process holds one llama.cpp). Otherwise, or with FTLEDGER_GGUF_DIRECT=0, the backend
 * scores through node-llama-cpp as before. Generation always runs on node-llama-cpp.
 *
 * Layout: `lanes` contexts of one sequence each, one evaluation per context at a time,
 * as the node-llama-cpp contexts (./layout.ts says why one sequence per context).
 */
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

declare const handle: unique symbol;
type Handle = { readonly [handle]: true };

/** What one evaluation returns: a row per output position, `topK` entries per row. */
export interface EvaluatedRows {
  /** log p(target) per row (NaN without targets). */
  logprob: Float64Array;
  /** 1 where the target is the argmax (ties: the lowest id). */
  greedy: Uint8Array;
  /** (rows, topK) the best ids by rank. */
  topIds: Int32Array;
  /** (rows, topK) their log-probs. */
  topLogprobs: Float64Array;
}

interface Addon {
  init(backendDir: string): boolean;
  loadModel(path: string): Handle;
  newContext(model: Handle, contextSize: number, threads: number, f32Cache: boolean): Handle;
  evaluate(context: Handle, tokens: Int32Array, targets: Int32Array | null, firstOutput: number, topK: number): Promise<EvaluatedRows>;
  freeContext(context: Handle): void;
  freeModel(model: Handle): void;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const ADDON_PATH = join(root, "native", "llama", "build", "Release", "ftledger_llama.node");

let loaded: { addon: Addon } | { why: string } | undefined;

/** The folder of node-llama-cpp's prebuilt CPU binaries (libllama and ggml's CPU backends). */
function binsDir(): string {
  const req = createRequire(import.meta.url);
  const entry = req.resolve(`@node-llama-cpp/${process.platform}-${process.arch}`);
  return join(dirname(entry), "..", "bins", `${process.platform}-${process.arch}`);
}

/** The addon, loaded once, or why it cannot be used (not built, or it does not start). */
export function directAddon(): { addon: Addon } | { why: string } {
  if (loaded) return loaded;
  if (process.env.FTLEDGER_GGUF_DIRECT === "0") return (loaded = { why: "FTLEDGER_GGUF_DIRECT=0 is set" });
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    if (!addon.init(binsDir())) return (loaded = { why: "llama.cpp's CPU backend did not start" });
    loaded = { addon };
  } catch (e) {
    loaded = { why: `the addon is not built (${(e as Error).message.split("\n")[0]}); run \`node scripts/build-llama.mjs\`` };
  }
  return loaded;
}

/** Evaluates token sequences on `lanes` contexts, a request per context at a time. */
export interface DirectScorer {
  /**
   * Feed `tokens` from an empty cache; at each position p ≥ `first` read the next-token
   * distribution: row r = p − first scores `targets[r]` (when given) and lists the
   * `topK` best tokens.
   */
  evaluate(tokens: readonly number[], opts: { first: number; targets?: readonly number[]; topK?: number }): Promise<EvaluatedRows>;
  close(): Promise<void>;
}

export interface DirectScorerOptions {
  lanes: number;
  threads: number;
  contextSize: number;
  /** F32 K/V cache and no flash attention (the backend's exact scoring). */
  exact: boolean;
}

/**
 * Open the file a second time, in the addon (the weights are mmap'd, so the pages are the
 * ones node-llama-cpp's load already maps). Undefined when the addon is not available.
 */
export function openDirectScorer(path: string, opts: DirectScorerOptions): DirectScorer | undefined {
  const got = directAddon();
  if (!("addon" in got)) return undefined;
  const { addon } = got;
  const model = addon.loadModel(path);
  const contexts: Handle[] = [];
  try {
    for (let i = 0; i < opts.lanes; i++) contexts.push(addon.newContext(model, opts.contextSize, opts.threads, opts.exact));
  } catch (e) {
    for (const c of contexts) addon.freeContext(c);
    addon.freeModel(model);
    throw e;
  }
  const free = [...contexts];
  const waiting: { take: (c: Handle) => void; refuse: (e: Error) => void }[] = [];
  let running = 0;
  let closed = false;
  let drained: (() => void) | undefined;
  const closedError = (): Error => new Error(`${path}: the model was closed`);
  const release = (c: Handle): void => {
    running--;
    const next = closed ? undefined : waiting.shift();
    if (next) {
      running++; // handed straight on: the context never looks free
      next.take(c);
    } else free.push(c);
    if (running === 0 && drained) drained();
  };
  return {
    async evaluate(tokens, { first, targets, topK = 0 }) {
      if (closed) throw closedError();
      let ctx = free.pop();
      if (ctx) running++;
      else ctx = await new Promise<Handle>((take, refuse) => waiting.push({ take, refuse }));
      try {
        return await addon.evaluate(ctx, Int32Array.from(tokens), targets ? Int32Array.from(targets) : null, first, topK);
      } finally {
        release(ctx);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const w of waiting.splice(0)) w.refuse(closedError());
      // NOTE: a context is freed only when no evaluation runs on it (llama.cpp would crash)
      if (running > 0) await new Promise<void>((r) => (drained = r));
      for (const c of contexts) addon.freeContext(c);
      addon.freeModel(model);
    },
  };
}
