/**
 * The YAML the CLI reads: merge configs (`parseMergeConfig`, src/weights/merge-config.ts)
 * and `ftledger audit --config` (`readAuditConfig` then `validateAuditConfig`). Inputs:
 * arbitrary text, text and structure mutations of valid configs, anchors and aliases
 * (including an alias inside its own anchor, which makes a cyclic value), deep nesting.
 * Each must return its result type — a config or an error naming the field — never throw.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { stringify } from "yaml";
import { formatWeightsError, mergeConfigSchema, parseMergeConfig } from "../../src/weights/index.js";
import { readAuditConfig, validateAuditConfig } from "../../src/cli/commands/audit.js";
import { expectFiniteNumbers, fuzzCase, mutatedJson, mutatedText, safeJson, tempDir, type FuzzFamily } from "./helpers.js";

const MERGE = {
  merge_method: "ties",
  base_model: "zoo/base-m",
  models: [
    { model: "runs/sft-arith", parameters: { weight: 0.5, density: 0.5 } },
    { model: "runs/sft-facts", parameters: { weight: [{ filter: "self_attn", value: 0.7 }, { value: 0.3 }], density: [0.2, 0.8] } },
  ],
  parameters: { normalize: true, lambda: 1 },
  dtype: "bfloat16",
  seed: 1,
};
const AUDIT = { base: "zoo/base-s", tuned: ["runs/sft"], suite: ["arithmetic"], n: 50, "fail-on": ["capability.*<-2%"], alpha: 0.05 };
const VALUES: unknown[] = ["linear", "slerp", "dare_ties", "float16", "base", "slices", "tokenizer", [0.1], [{ value: 1 }], [{ filter: "", value: 1 }], { t: [0, 1] }];

/** Anchors and aliases, some cyclic (an alias inside the node its anchor names), some fanned out. */
const aliasYaml = fc.constantFrom(
  "merge_method: linear\nmodels: &m\n  - model: a\n    parameters: {weight: *m}\n",
  "merge_method: linear\nbase_model: &b {x: *b}\nmodels: [{model: a}]\n",
  "merge_method: linear\nmodels: [{model: a, parameters: &p {weight: [{value: 1, filter: *p}]}}]\n",
  "&a {merge_method: *a, models: [{model: a}]}\n",
  "a: &x [*x]\n",
  "base: &b [*b]\ntuned: [x]\n",
  "merge_method: linear\nmodels: [{model: a, parameters: {weight: &w [1, 2]}}, {model: b, parameters: {weight: *w}}]\n",
  "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
);
const yamlText = fc.oneof(
  { weight: 3, arbitrary: mutatedJson(MERGE, VALUES).map((v) => stringify(v)) },
  { weight: 2, arbitrary: mutatedText(stringify(MERGE)) },
  { weight: 2, arbitrary: aliasYaml },
  { weight: 1, arbitrary: fc.string({ maxLength: 60, unit: fc.constantFrom("a", ":", " ", "\n", "-", "[", "]", "{", "}", "&x", "*x", "!!", "%", "#", '"', "'", "|", ">", "\t", "?") }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60, unit: "binary" }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom("[", "{a: ", "- ")).map(([n, open]) => `merge_method: linear\nmodels: ${open.repeat(n)}\n`) },
);

function checkMerge(text: string): void {
  const r = parseMergeConfig(text, "merge.yaml");
  if (r.ok) {
    if (!mergeConfigSchema.safeParse(r.value).success) throw new Error(`accepted a config its own schema refuses: ${safeJson(r.value)}`);
    return;
  }
  if (typeof formatWeightsError(r.error) !== "string") throw new Error(`an error without a message: ${safeJson(r.error)}`);
  expectFiniteNumbers(r.error);
}

interface Ctx {
  dir: string;
  remove(): Promise<void>;
}

export const yamlFamily: FuzzFamily<Ctx> = {
  parser: "yaml",
  setup: () => tempDir("yaml"),
  teardown: (ctx) => ctx.remove(),
  properties: [
    { name: "parseMergeConfig on arbitrary, mutated and aliased YAML", runs: 300, make: () => fuzzCase(yamlText, checkMerge) },
    {
      name: "audit --config on arbitrary, mutated and aliased YAML",
      runs: 100,
      make: (ctx) => fuzzCase(fc.oneof(yamlText, mutatedJson(AUDIT, VALUES).map((v) => stringify(v)), mutatedText(stringify(AUDIT))), async (text) => {
        const path = join(ctx.dir, "audit.yaml");
        await writeFile(path, text);
        const r = await readAuditConfig(path);
        if (!r.ok) {
          if (typeof r.error !== "string" || r.error === "") throw new Error("an error without a message");
          return;
        }
        const v = validateAuditConfig(r.value, path);
        if (!v.ok && (typeof v.error !== "string" || v.error === "")) throw new Error("an error without a message");
      }),
    },
  ],
};
