/**
 * `ftledger check SPEC SPEC…`: the same model through several backends (an HF folder, its
 * GGUF export, `ftledger serve` over HTTP), compared against the first spec on the same
 * items: max |Δ log p| per token, greedy agreement, and a verdict against the stated bound
 * (src/audit/check.ts). Exit 0 when every backend agrees, 1 when one differs, 2 on bad input.
 */
import type { Command } from "commander";
import { checkBackends, checkLines, suiteItems, SUITES, type CheckedModel, type SuiteName } from "../../audit/index.js";
import { openAnyModel as openModel } from "../../compose/index.js";
import { DEFAULT_WORLD } from "../../world/index.js";
import { addOpenAIOptions, checkedSettings, openaiConnection, type OpenAIFlagValues } from "../openai-options.js";
import { addGpuOption } from "../gpu-option.js";
import { BackendError, type GgufGpu } from "../../backends/index.js";
import { int, num } from "../options.js";
import { progressBar } from "../progress.js";
import { readWorldFile } from "../world-file.js";

interface CheckFlags extends OpenAIFlagValues {
  suite: SuiteName[];
  n: number;
  bound: number;
  greedyShare: number;
  maxTokens: number;
  world?: string;
  json: boolean;
  quiet: boolean;
  /** gguf: specs' device (../gpu-option.ts). */
  gpu?: GgufGpu;
}

function fail(message: string): number {
  process.stderr.write(`ftledger check: ${message}\n`);
  return 2;
}

export async function checkCommand(specs: string[], o: CheckFlags): Promise<number> {
  if (specs.length < 2) return fail(`give at least two model specs to compare (got ${specs.length}); e.g. ftledger check builtin:zoo/base-m gguf:base-m.gguf`);
  const settings = checkedSettings(o);
  if (!settings.ok) return fail(settings.error);
  let world = DEFAULT_WORLD;
  if (o.world !== undefined) {
    const r = await readWorldFile(o.world);
    if (!r.ok) return fail(r.message);
    world = r.value.settings;
  }
  const items = o.suite.flatMap((s) => suiteItems(s, world, o.n));
  const opened: CheckedModel[] = [];
  try {
    for (const spec of specs) {
      try {
        opened.push({ spec, model: await openModel(spec, { openai: openaiConnection(settings.value), ...(o.gpu !== undefined ? { gpu: o.gpu } : {}) }) });
      } catch (e) {
        return fail(`${spec}: ${(e as Error).message}`);
      }
    }
    let bar: ReturnType<typeof progressBar> | undefined;
    let barSpec = "";
    let result;
    try {
      result = await checkBackends(opened[0], opened.slice(1), items, {
        bound: o.bound, greedyShare: o.greedyShare, maxTokens: o.maxTokens,
        onProgress: (spec, done, total) => {
          if (o.quiet) return;
          if (spec !== barSpec) {
            bar?.stop();
            barSpec = spec;
            bar = progressBar(total, `check ${spec.slice(0, 40).padEnd(40)}`, "| ETA {eta_formatted}", "end");
          }
          bar?.update(done);
        },
      });
    } catch (e) {
      bar?.stop();
      // the reference suite scores whole documents from an empty prompt, which a server whose
      // tokenizer adds no BOS cannot score; the other suites all have prompts
      const emptyPrompt = e instanceof BackendError && e.detail.code === "empty_prompt" && o.suite.includes("reference");
      return fail(emptyPrompt ? `${(e as Error).message} For check, leave out the reference suite: --suite ${o.suite.filter((x) => x !== "reference").join(" ") || "arithmetic knowledge"}.` : (e as Error).message);
    }
    bar?.stop();
    process.stdout.write(o.json ? `${JSON.stringify(result, null, 2)}\n` : `${checkLines(result).join("\n")}\n`);
    return result.passed ? 0 : 1;
  } finally {
    for (const m of opened) await m.model.close();
  }
}

export function addCheckCommand(program: Command): void {
  addGpuOption(addOpenAIOptions(
    program
      .command("check")
      .description("one model through several backends (an HF folder, its GGUF export, a server): max |Δ log p| per token and greedy agreement against the first spec, with a verdict")
      .argument("<specs...>", "model specs, the first is the reference (builtin:…, gguf:…, openai:…)"),
  ))
    .option("--suite <names...>", `item suites: ${SUITES.join(", ")}`, ["reference", "arithmetic"])
    .option("--n <items>", "items per suite", int("--n", 1), 20)
    .option("--bound <nats>", "largest |Δ log p| per token that counts as the same model (f32 files agree to ~1e-5, f16 to ~5e-3, 8-bit to ~0.1)", num("--bound", (x) => x > 0, "a number of nats > 0"), 1e-3)
    .option("--greedy-share <share>", "share of items whose greedy continuations must be identical (a near-tie may flip within the bound)", num("--greedy-share", (x) => x >= 0 && x <= 1, "a share in [0, 1]"), 0.9)
    .option("--max-tokens <n>", "tokens of each greedy continuation", int("--max-tokens", 1), 32)
    .option("--world <file>", "world settings for the suites (JSON or a lab run folder)")
    .option("--json", "print the result as JSON", false)
    .option("--quiet", "no progress on stderr", false)
    .addHelpText("after", "\nExamples:\n  ftledger export gguf zoo/base-m base-m.gguf\n  ftledger check builtin:zoo/base-m gguf:base-m.gguf\n  ftledger check builtin:zoo/base-m gguf:base-m-q8.gguf --bound 0.2   # what quantisation moves\n  ftledger check builtin:zoo/base-m openai:http://127.0.0.1:8000/v1#base-m\n\nExit codes: 0 every backend agrees, 1 one differs, 2 bad input.")
    .action(async (specs: string[], o: CheckFlags & { suite: string[] }) => {
      const bad = o.suite.find((s) => !(SUITES as readonly string[]).includes(s));
      if (bad !== undefined) {
        process.exitCode = fail(`--suite ${bad} is not one of ${SUITES.join(", ")}`);
        return;
      }
      process.exitCode = await checkCommand(specs, { ...o, suite: o.suite as SuiteName[] });
    });
}
