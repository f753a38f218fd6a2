/**
 * Hugging Face model folders: config.json (`readModelConfig`, and `loadCheckpoint`, which
 * the lab and the builtin backend's loaders run over a folder) and tokenizer.json
 * (`readTokenizerJson`, the engine's check; `loadFolderTokenizer`, the builtin backend's
 * tokenizer through @huggingface/tokenizers and its chat template through @huggingface/jinja).
 * Inputs: arbitrary JSON values and mutations of zoo/base-s's own files. The pure readers
 * must return a Result; loadCheckpoint a Result within the budgets; loadFolderTokenizer a
 * tokenizer or an `Error` whose message names the folder's file (its documented failure).
 */
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { loadCheckpoint, readModelConfig, readTokenizerJson, type Result } from "../../src/formats/index.js";
import { validateConfig } from "../../src/model/index.js";
import { loadFolderTokenizer } from "../../src/backends/builtin/hf-tokenizer.js";
import { expectFiniteNumbers, fuzzCase, mutatedJson, mutatedText, safeJson, tempDir, type FuzzFamily } from "./helpers.js";
import { expectFormatError } from "./safetensors.props.js";

const ZOO = resolve("zoo/base-s");
const FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"] as const;
type FileName = (typeof FILES)[number];

interface Ctx {
  dir: string;
  remove(): Promise<void>;
  /** zoo/base-s's JSON files, parsed, and as text. */
  json: Record<FileName, unknown>;
  text: Record<FileName, string>;
  /** A folder with base-s's weights linked in; JSON files are written per case. */
  model: string;
}

/** Values that matter to a llama config or a tokenizer besides the generic ones. */
const HF_VALUES: unknown[] = [
  "LlamaForCausalLM", "llama", "silu", "gelu", "BPE", "WordPiece", "Unigram", ["LlamaForCausalLM"], { type: "linear", factor: 2 },
  2 ** 53 - 1, 2 ** 31 - 1, 1e9, 4, 96, 24, 105, { type: "Fuse" }, { type: "ByteLevel" }, [["a", "b"]], ["a b"],
  "{{ messages[0]['content'] }}", "{% for m in messages %}", "{{ raise_exception('x') }}", "{{ 1 / 0 }}", "{{ x.y.z }}", "{% endfor %}",
];

function expectResult<T>(r: Result<T>, ok: (v: T) => void = () => undefined): void {
  if (r.ok) ok(r.value);
  else expectFormatError(r.error);
}

/** A config readModelConfig accepts is one the engine accepts, with finite numbers. */
function expectUsableConfig(c: ReturnType<typeof readModelConfig> extends Result<infer T> ? T : never): void {
  expectFiniteNumbers(c, "the config");
  const errors = validateConfig(c);
  if (errors.length) throw new Error(`readModelConfig accepted a config the engine refuses: ${safeJson(errors)}`);
}

async function writeFolder(ctx: Ctx, files: Partial<Record<FileName, string>>): Promise<void> {
  for (const f of FILES) await writeFile(join(ctx.model, f), files[f] ?? ctx.text[f]);
}

/** The builtin backend's tokenizer: a tokenizer, or an Error naming the folder. Then used once. */
async function checkFolderTokenizer(ctx: Ctx): Promise<void> {
  let tok;
  try {
    tok = await loadFolderTokenizer(ctx.model);
  } catch (e) {
    if (!(e instanceof Error) || e.constructor !== Error || !e.message.includes(ctx.model)) {
      throw new Error(`loadFolderTokenizer failed with ${(e as Error)?.constructor?.name}: ${(e as Error)?.message ?? String(e)} (expected an Error naming the folder's file)`);
    }
    return;
  }
  const ids = tok.encode("the cat <|user|> ü");
  tok.decode(ids);
  try {
    tok.applyChatTemplate([{ role: "user", content: "hi" }]);
  } catch (e) {
    if (!(e instanceof Error) || e.constructor !== Error || !e.message.includes(ctx.model)) {
      throw new Error(`applyChatTemplate failed with ${(e as Error)?.constructor?.name}: ${(e as Error)?.message ?? String(e)} (expected an Error naming the folder's file)`);
    }
  }
}

const jsonFile = fc.constantFrom(...FILES);

export const hfFamily: FuzzFamily<Ctx> = {
  parser: "hf",
  async setup() {
    const t = await tempDir("hf");
    const text = {} as Record<FileName, string>;
    const json = {} as Record<FileName, unknown>;
    for (const f of FILES) {
      text[f] = await readFile(join(ZOO, f), "utf8");
      json[f] = JSON.parse(text[f]);
    }
    const model = join(t.dir, "model");
    await mkdir(model);
    await symlink(join(ZOO, "model.safetensors"), join(model, "model.safetensors"));
    const ctx = { ...t, text, json, model };
    // the mutations start from a folder that loads
    await writeFolder(ctx, {});
    const base = await loadCheckpoint(model);
    if (!base.ok) throw new Error(`zoo/base-s does not load: ${safeJson(base.error)}`);
    return ctx;
  },
  teardown: (ctx) => ctx.remove(),
  properties: [
    {
      name: "readModelConfig on arbitrary JSON",
      runs: 200,
      make: () => fuzzCase(fc.jsonValue({ maxDepth: 3 }), (v) => expectResult(readModelConfig(v), expectUsableConfig)),
    },
    {
      name: "readModelConfig on mutations of a real config.json",
      runs: 300,
      make: (ctx) => fuzzCase(mutatedJson(ctx.json["config.json"], HF_VALUES), (v) => expectResult(readModelConfig(v), expectUsableConfig)),
    },
    {
      name: "readTokenizerJson on arbitrary JSON and mutations of a real tokenizer.json",
      runs: 200,
      make: (ctx) => fuzzCase(fc.oneof(fc.jsonValue({ maxDepth: 3 }), mutatedJson(ctx.json["tokenizer.json"], HF_VALUES)), (v) => expectResult(readTokenizerJson(v))),
    },
    {
      name: "loadCheckpoint over a folder with a mutated JSON file",
      runs: 60,
      make: (ctx) => fuzzCase(
        jsonFile.chain((f) => fc.tuple(fc.constant(f), fc.oneof(mutatedJson(ctx.json[f], HF_VALUES).map((v) => JSON.stringify(v) ?? ""), mutatedText(ctx.text[f])))),
        async ([f, text]) => {
          await writeFolder(ctx, { [f]: text });
          expectResult(await loadCheckpoint(ctx.model));
        },
      ),
    },
    {
      name: "loadCheckpoint with a config.json size set to an extreme",
      runs: 40,
      make: (ctx) => fuzzCase(
        fc.record({
          field: fc.constantFrom("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "max_position_embeddings", "head_dim", "rope_theta", "rms_norm_eps"),
          value: fc.constantFrom(0, 1, 2, -1, 1.5, 6, 2 ** 20, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e21, 1e308),
        }),
        async ({ field, value }) => {
          await writeFolder(ctx, { "config.json": JSON.stringify({ ...(ctx.json["config.json"] as object), [field]: value }) });
          expectResult(await loadCheckpoint(ctx.model));
        },
      ),
    },
    {
      name: "loadFolderTokenizer over a folder with a mutated tokenizer file",
      runs: 60,
      make: (ctx) => fuzzCase(
        fc.constantFrom("tokenizer.json", "tokenizer_config.json", "generation_config.json" as const).chain((f) =>
          fc.tuple(fc.constant(f), fc.oneof(mutatedJson(ctx.json[f], HF_VALUES).map((v) => JSON.stringify(v) ?? ""), mutatedText(ctx.text[f]), fc.json({ maxDepth: 2 })))),
        async ([f, text]) => {
          await writeFolder(ctx, { [f]: text });
          await checkFolderTokenizer(ctx);
        },
      ),
    },
  ],
};
