/**
 * `ftledger lab tokenizer`: train a byte-level BPE tokenizer (src/train/tokenizer,
 * GPT-2's byte-level BPE) on the world corpus a pretrain config's run sees, and write it
 * as a Hugging Face tokenizer.json that a pretrain config's `"tokenizer"` can name.
 */
import type { Command } from "commander";
import { formatTextError, readJsonText, saveTokenizerFile, TEXT_LIMITS, formatFormatError } from "../../formats/index.js";
import { corpusDocuments, resolveRecipeConfig, trainBpeReport, type PretrainConfig } from "../../train/index.js";
import { int } from "../options.js";

const out = (s: string) => process.stdout.write(s + "\n");
const err = (s: string) => process.stderr.write(`ftledger: ${s}\n`);

export interface LabTokenizerOptions {
  vocabSize: number;
  out: string;
  config?: string;
  documents?: number;
}

export async function labTokenizer(o: LabTokenizerOptions): Promise<number> {
  let json: unknown;
  if (o.config !== undefined) {
    const read = await readJsonText(o.config, { limit: TEXT_LIMITS.settings });
    if (!read.ok) {
      err(formatTextError(read.error, { flag: "--config", kind: "a JSON file of pretrain settings", holds: "a JSON object with the pretrain recipe's fields (world, mixture, corpus)" }));
      return 2;
    }
    json = read.value.value;
  }
  const found = resolveRecipeConfig("pretrain", json);
  if (!found.ok) {
    err(found.message);
    return 2;
  }
  const c = found.value.config as PretrainConfig;
  const n = o.documents ?? c.corpus.documents;
  const docs = corpusDocuments(c.world, c.mixture, n);
  const t0 = Date.now();
  let r;
  try {
    r = trainBpeReport(docs.map((d) => d.text), { vocabSize: o.vocabSize });
  } catch (e) {
    err(`--vocab-size: ${(e as Error).message}`);
    return 2;
  }
  const tok = r.tokenizer;
  let chars = 0, tokens = 0;
  for (const d of docs) {
    chars += d.text.length;
    tokens += tok.encode(d.text).length;
  }
  const saved = await saveTokenizerFile(o.out, tok);
  if (!saved.ok) {
    err(formatFormatError(saved.error));
    return 2;
  }
  out(`lab tokenizer: ${tok.size} tokens (${tok.merges.length} merges) from ${n} documents (world seed ${c.world.seed}), ${r.words.distinct} distinct words, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  out(`  ${r.stopped}`);
  out(`  ${(chars / tokens).toFixed(2)} characters per token on these documents (${tokens} tokens)`);
  out(`  → ${o.out}`);
  return 0;
}

/** Registers `lab tokenizer` on the `lab` command. */
export function addLabTokenizerCommand(lab: Command): void {
  lab
    .command("tokenizer")
    .description("train a byte-level BPE tokenizer (GPT-2's) on the world corpus a pretrain config sees, written as a Hugging Face tokenizer.json")
    .requiredOption("--vocab-size <n>", "tokens in all: 8 special + 256 byte tokens + merges (≥ 264)", int("--vocab-size", 264))
    .requiredOption("--out <file>", "the tokenizer.json to write (atomically)")
    .option("--config <file>", "a pretrain config (its world, mixture and corpus.documents; default: the pretrain recipe's defaults)")
    .option("--documents <n>", "build the corpus from n documents instead of corpus.documents (the same world and mixture)", int("--documents", 1))
    .addHelpText("after", "\nExamples:\n  ftledger lab tokenizer --vocab-size 1024 --config zoo/recipes/base-m.json --out bpe.json\n  echo '{\"tokenizer\": \"bpe.json\", \"train\": {\"steps\": 3000}}' > pretrain-bpe.json\n  ftledger lab train pretrain --config pretrain-bpe.json --out runs/base-bpe   # \"tokenizer\" is relative to the config file\n\nExit codes: 0 ok, 2 bad input.")
    .action(async (o: LabTokenizerOptions) => {
      process.exitCode = await labTokenizer(o);
    });
}
