/**
 * The `ftledger` command line: one binary, verbs by job.
 * Exit codes: 0 ok, 1 a gate or check failed, 2 bad input or usage.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { addItemOptions, betaList, expandBetas, int, ITEM_FLAG_KEYS, num, oneOf } from "./options.js";
import { addOpenAIOptions, OPENAI_FLAG_KEYS } from "./openai-options.js";
import { addGpuOption, GPU_FLAG_KEYS } from "./gpu-option.js";
import { auditCommand, readAuditConfig, validateAuditConfig } from "./commands/audit.js";
import { demo } from "./commands/demo.js";
import { labSummary } from "./commands/summary.js";
import { labEval, SPLITS, type EvalOptions } from "./commands/eval.js";
import { exportGgufCommand } from "./commands/export.js";
import { labData, labSample, labTrain, RECIPES_WITH_ROWS } from "./commands/lab.js";
import { addLabTokenizerCommand } from "./commands/lab-tokenizer.js";
import { addPlanCommand } from "./commands/plan.js";
import { addWeightsCommands } from "./weights-commands.js";
import { addLoraCommands } from "./commands/lora.js";
import { addCheckCommand } from "./commands/check.js";
import { addReproduceCommand } from "./commands/reproduce.js";
import { addServeOptions, allowHostOption, serveCommand, type ServeCommandOptions } from "./commands/serve.js";
import { viewCommand } from "./commands/view.js";
import { MODEL_SPEC_FORMS as SPEC_FORMS } from "../compose/index.js";
import { PROBE_IDS } from "../probes/index.js";
import { PRESET_NAMES, SUITES } from "../audit/index.js";
import { listCheckpoints, ZOO_MODELS } from "../formats/index.js";
import { recipes, selfImprove } from "../train/index.js";

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("ftledger")
    .description("What did this fine-tune gain, and what did it quietly trade away?")
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s) })
    .addHelpText(
      "after",
      "\nStart here:\n  ftledger demo                                              fine-tune a zoo model and audit it (~3 min)\n" +
        "  ftledger audit --base SPEC --tuned SPEC                    the ledger of your own fine-tune\n" +
        "  ftledger view ftledger-demo/store                          browse past runs\n" +
        "  ftledger plan --store .ftledger --run ID                   how many items the next audit needs\n" +
        "\nModel specs: builtin:PATH (HF-layout folder or lab run), gguf:FILE.gguf, openai:http://HOST:PORT/v1#MODEL,\n" +
        "  eft:base=SPEC,tuned=SPEC,ref=SPEC,beta=B (emulated fine-tuning: base + β·(tuned − ref) at decode time; docs/COMPOSE.md)\n" +
        "Exit codes: 0 ok, 1 a gate or check failed, 2 bad input or usage. Docs: README.md, docs/PROBES.md",
    );

  program
    .command("demo")
    .description(
      "the main job on the embedded default: fine-tune the zoo's medium model (zoo/base-m) on harder arithmetic on this CPU, " +
        "audit base against fine-tune with every default probe on the same held-out items, print the ledger and write the HTML report",
    )
    .option("--steps <n>", "fine-tuning steps", int("--steps", 1), 300)
    .option("--seed <n>", "random seed of the fine-tune (recorded in the output)", int("--seed"), 1)
    .option("--seeds <k>", "fine-tune k seeds of the recipe (seed, seed+1, …) and pool them in the audit: the recipe's effect, with intervals over seeds and items", int("--seeds", 1), 1)
    .option("--n <items>", "held-out items per suite for the audit", int("--n", 1), 50)
    .option("--samples <k>", "samples per prompt for the sampling probes", int("--samples", 1), 4)
    .option("--out <dir>", "the demo's folder: the fine-tune, the run store and report.html (a second run reuses them)", "ftledger-demo")
    .option("--base <name>", `the zoo model to fine-tune: ${ZOO_MODELS.join(", ")}`, "base-m")
    .option("--quiet", "no progress on stderr", false)
    .addHelpText("after", "\nExamples:\n  npx ftledger demo                     # about 3 minutes on 2 cores\n  npx ftledger demo --base base-m-bpe   # the same on base-m's byte-level BPE twin\n  npx ftledger demo --steps 100 --n 20  # a quicker, noisier look\n  npx ftledger demo --seeds 3           # the recipe, not one fine-tune: three seeds, pooled\n  npx ftledger view ftledger-demo/store # browse the run afterwards")
    .action(async (o: { steps: number; seed: number; seeds: number; n: number; samples: number; out: string; base: string; quiet: boolean }) => {
      process.exitCode = await demo(o);
    });

  const auditCmd = addGpuOption(addOpenAIOptions(addItemOptions(program.command("audit"))))
    .description(
      "the ledger: put a base model and its fine-tune(s) through the same items and report, per probe, what the fine-tune gained " +
        "on the proxy and what it lost on the capability underneath, with paired CIs and adjusted p-values; resumes an interrupted " +
        "run from its store; exit 1 when a --fail-on rule matches",
    )
    .option("--base <spec>", `the base model: ${SPEC_FORMS}`)
    .option("--tuned <spec...>", "the fine-tuned model(s); several = a trajectory (e.g. a run's checkpoints), each audited against the base")
    .option("--tuned-seeds <specs...>", "fine-tunes of one recipe that differ only in the seed (≥ 2): the ledger pools them, with intervals over seeds and items and each seed's Δ")
    .option("--trajectory <run>", "a lab run folder: every checkpoint in it is a --tuned model, oldest first (where did the capability start to fall?)")
    .option("--config <file>", "settings as YAML or JSON (keys as the flags without --, e.g. base:, tuned: [...], fail-on: [...]); flags win")
    .option("--fail-on <rules...>", 'CI gate: hidden-trade | lost | lost:SELECTOR | SELECTOR<VALUE (e.g. "capability.*<-2%"); exit 1 when one matches')
    .option("--alpha <a>", "significance level after adjustment (default 0.05)", num("--alpha", (n) => n > 0 && n < 1, "in (0, 1)"))
    .option("--beta <list>", "eft: tuned models at each β (comma-separated, e.g. 0,0.5,1,1.5): the dose-response of an emulated fine-tune, as a trajectory", betaList)
    .option("--export-regressions <file>", "write the items the fine-tune lost as JSONL (the --data schema) for the next round")
    .option("--report <file>", "also write the self-contained HTML report here (it is always written to <store>/reports/<run-id>.html)")
    .option("--markdown <file>", "write the ledger as Markdown here (for a pull-request comment)")
    .option("--json", "print the result as JSON (docs/PROBES.md); progress stays on stderr", false)
    .option("--quiet", "no progress or notes on stderr", false)
    .addHelpText(
      "after",
      `
Examples:
  ftledger audit --base builtin:zoo/base-m --tuned builtin:runs/sft
  ftledger audit --base builtin:zoo/base-m --tuned builtin:runs/sft --probes task.accuracy "faithfulness.*" --n 50
  ftledger audit --base gguf:base.gguf --tuned gguf:tuned.gguf --data items.jsonl --fail-on "capability.*<-2%" hidden-trade
  ftledger audit --base builtin:zoo/base-m --trajectory runs/sft --probes task.accuracy knowledge.retention
  ftledger audit --config audit.yaml --json > ledger.json

Exit codes: 0 ok, 1 a --fail-on rule matched, 2 bad input or usage.`,
    )
    .action(async (o: Record<string, unknown>) => {
      const FLAG_KEYS: Record<string, string> = {
        ...ITEM_FLAG_KEYS, ...OPENAI_FLAG_KEYS, ...GPU_FLAG_KEYS, base: "base", tuned: "tuned", tunedSeeds: "tuned-seeds", failOn: "fail-on", alpha: "alpha",
        exportRegressions: "export-regressions", report: "report", markdown: "markdown",
      };
      let raw: Record<string, unknown> = {};
      let where = "flags";
      if (typeof o.config === "string") {
        const r = await readAuditConfig(o.config);
        if (!r.ok) {
          process.stderr.write(`ftledger audit: ${r.error}\n`);
          process.exitCode = 2;
          return;
        }
        raw = r.value;
        where = `--config ${o.config}`;
      }
      for (const [flag, key] of Object.entries(FLAG_KEYS)) {
        if (auditCmd.getOptionValueSource(flag) === "cli") raw[key] = o[flag];
      }
      if (typeof o.trajectory === "string") {
        const steps = await listCheckpoints(o.trajectory);
        if (steps.length === 0) {
          process.stderr.write(`ftledger audit: --trajectory ${o.trajectory}: no checkpoints/step-N folders in it; give a lab run folder (ftledger lab train --out).\n`);
          process.exitCode = 2;
          return;
        }
        raw.tuned = [...((raw.tuned as string[] | undefined) ?? []), ...steps.map((d) => `builtin:${d}`)];
      }
      if (Array.isArray(o.beta)) {
        const expanded = expandBetas((raw.tuned as string[] | undefined) ?? [], o.beta as number[]);
        if (!expanded.ok) {
          process.stderr.write(`ftledger audit: ${expanded.error}\n`);
          process.exitCode = 2;
          return;
        }
        raw.tuned = expanded.value;
      }
      if (raw.tuned === undefined && (raw.preset !== undefined || raw["tuned-seeds"] !== undefined)) raw.tuned = []; // a preset's table can measure the base alone
      if (raw.base === undefined || raw.tuned === undefined) {
        process.stderr.write("ftledger audit: give --base SPEC and --tuned SPEC (or a --config with base: and tuned:); see ftledger audit --help\n");
        process.exitCode = 2;
        return;
      }
      const c = validateAuditConfig(raw, where);
      if (!c.ok) {
        process.stderr.write(`ftledger audit: ${c.error}\n`);
        process.exitCode = 2;
        return;
      }
      process.exitCode = await auditCommand(c.value, { json: o.json === true, quiet: o.quiet === true });
    });

  addPlanCommand(program);
  addWeightsCommands(program);
  addLoraCommands(program);
  addCheckCommand(program);
  addReproduceCommand(program);

  const lab = program.command("lab").description("model organisms: train and sample small llamas on this CPU");
  addLabTokenizerCommand(lab);
  lab
    .command("train")
    .description(`train a recipe (${[...Object.values(recipes), selfImprove].map((r) => `${r.name}: ${r.description}`).join("; ")})`)
    .argument("<recipe>", `one of: ${[...Object.keys(recipes), selfImprove.name].join(", ")}`)
    .requiredOption("--out <dir>", "run folder (checkpoints, manifest)")
    .option("--steps <n>", "training steps (default: the recipe's)", int("--steps", 1))
    .option("--seed <n>", "random seed (recorded in run.json)", int("--seed"), 1)
    .option("--every <n>", "save a checkpoint every n steps", int("--every", 1), 100)
    .option("--resume", "continue the run in --out from its newest checkpoint (with the config it recorded)", false)
    .option("--config <file>", "JSON with the recipe's settings (fields left out take their defaults)")
    .addHelpText("after", "\nExamples:\n  ftledger lab train pretrain --out runs/base --config zoo/recipes/base-s.json\n  echo '{\"base\": \"zoo/base-m\", \"variant\": \"with-reasoning\", \"format\": \"code\"}' > sft.json\n  ftledger lab train sft --config sft.json --out runs/sft\n  ftledger lab train sft --out runs/sft --resume      # continue after an interruption\n  echo '{\"base\": \"zoo/base-m\", \"variant\": \"with-reasoning\", \"adapter\": {\"type\": \"lora\", \"r\": 8}, \"train\": {\"maxLr\": 0.005, \"minLr\": 0.0005}}' > lora.json\n  ftledger lab train sft --config lora.json --out runs/lora   # LoRA: only the adapter trains; each checkpoint holds a PEFT adapter folder\n  echo '{\"base\": \"zoo/base-m\", \"pairs\": {\"target\": \"code\"}, \"beta\": 0.1}' > dpo.json\n  ftledger lab train dpo --config dpo.json --out runs/dpo   # DPO towards the code format; {\"pairs\": {\"file\": \"pairs.jsonl\"}} for your own pairs\n  echo '{\"base\": \"zoo/base-m\", \"task\": \"arithmetic+verification\", \"variant\": \"with-reasoning\"}' > verify.json\n  ftledger lab train sft --config verify.json --out runs/verify   # teach \"Is this answer correct?\" Yes/No\n  echo '{\"base\": \"runs/verify\", \"filter\": \"self\", \"rounds\": 3}' > si.json\n  ftledger lab train self-improve --config si.json --out runs/si --every 8   # filter \"external\": the control arm\n  echo '{\"base\": \"zoo/base-m\", \"tasks\": [{\"task\": \"arithmetic\", \"model\": \"runs/sft-arith\"}, {\"task\": \"knowledge\", \"model\": \"runs/sft-know\"}, {\"task\": \"programs\", \"model\": \"runs/sft-prog\"}]}' > cpi.json\n  ftledger lab train cpi-ft --config cpi.json --out runs/cpi-ft   # fuse three sft runs, fine-tune on their mix with the 1% cores frozen\n  echo '{\"backbone\": \"zoo/base-m\", \"assistant\": \"zoo/base-s\", \"k\": 4}' > softcot.json\n  ftledger lab train softcot --config softcot.json --out runs/softcot   # frozen base-m + 4 soft thoughts from base-s; only the projection trains\n\nExit codes: 0 ok, 1 training failed (e.g. a non-finite loss), 2 bad input.")
    .action(async (recipe: string, o: { out: string; steps?: number; seed: number; every: number; resume: boolean; config?: string }) => {
      process.exitCode = await labTrain(recipe, o);
    });
  lab
    .command("data")
    .description("write the rows a recipe trains on as TRL-compatible JSONL, for bigger trainers (the same examples, in the order a run with --seed first visits them)")
    .argument("<recipe>", `one of: ${RECIPES_WITH_ROWS.join(", ")}`)
    .requiredOption("--out <file>", "the .jsonl file to write (atomically)")
    .option("--config <file>", "JSON with the recipe's settings, as for lab train (fields left out take their defaults)")
    .option("--seed <n>", "the run seed whose row order to follow (as lab train --seed)", int("--seed"), 1)
    .addHelpText("after", `\nRows: ${Object.values(recipes).filter((r) => "rows" in r && r.rows).map((r) => `${r.name} ${(r as { rows: string }).rows}`).join("; ")}.\n\nExamples:\n  echo '{"base": "zoo/base-m", "variant": "with-reasoning", "format": "code"}' > sft.json\n  ftledger lab data sft --config sft.json --out sft.jsonl      # TRL SFTTrainer: load_dataset("json", data_files="sft.jsonl")\n  echo '{"base": "zoo/base-m"}' > dpo.json\n  ftledger lab data dpo --config dpo.json --out pairs.jsonl    # TRL DPOTrainer\n\nExit codes: 0 ok, 2 bad input (an unknown recipe, one without static rows, a bad config or base).`)
    .action(async (recipe: string, o: { out: string; seed: number; config?: string }) => {
      process.exitCode = await labData(recipe, o);
    });
  lab
    .command("sample")
    .description("generate from a checkpoint folder (or a run folder's newest checkpoint)")
    .argument("<ckpt>", "checkpoint or run folder")
    .option("--prompt <text>", "prompt (\\n for newline; special tokens like <|user|> allowed)", "\\n")
    .option("-n <n>", "number of samples", int("-n", 1), 4)
    .option("--max-tokens <n>", "tokens per sample", int("--max-tokens", 1), 80)
    .option("--temperature <t>", "0 = greedy", num("--temperature", (n) => n >= 0, "a number ≥ 0"), 0.8)
    .option("--top-k <k>", "0 = off", int("--top-k"), 0)
    .option("--top-p <p>", "1 = off", num("--top-p", (n) => n > 0 && n <= 1, "a number in (0, 1]"), 1)
    .option("--seed <n>", "random seed", int("--seed"), 1)
    .addHelpText("after", "\nExamples:\n  ftledger lab sample zoo/base-m --prompt \"Problem: Mara has 3 shells. She finds 4 more. How many shells does Mara have now?\\nSolution:\\n\" --temperature 0\n  ftledger lab sample runs/sft -n 8 --temperature 1 --seed 2")
    .action(async (ckpt: string, o: { prompt: string; n: number; maxTokens: number; temperature: number; topK: number; topP: number; seed: number }) => {
      process.exitCode = await labSample(ckpt, o);
    });
  lab
    .command("summary")
    .description("what a run's metrics.jsonl says: loss, and for reward runs (grpo) the reward's rise with a CI and a trend test, format shares, KL")
    .argument("<run>", "a lab run folder (ftledger lab train --out)")
    .option("--seed <n>", "seed of the bootstrap and the permutations", int("--seed"), 1)
    .addHelpText("after", "\nExamples:\n  ftledger lab summary runs/grpo\n  ftledger lab summary runs/sft --seed 3")
    .action(async (run: string, o: { seed: number }) => {
      process.exitCode = await labSummary(run, o);
    });
  addOpenAIOptions(lab.command("eval"))
    .description(
      "what lab models can do on the world (the audit's lab preset): arithmetic accuracy (greedy), knowledge recall by ranking " +
        "and by generation, the solution formats by sampling at T=1, each k/n with a 95% Wilson interval; each SPEC after the " +
        "first is paired against the first on the same items with the audit's ledger statistics",
    )
    .argument("<spec...>", SPEC_FORMS)
    .option("--n <items>", "items per task: the first n of the split (sft trains on id items from 1000 on by default, so n ≤ 1000 stays unseen)", int("--n", 1), 200)
    .option("--seed <n>", "world seed (unless --world gives one: it must equal the base's pretrain world seed, or the encyclopedia differs); also seeds sampling and the statistics", int("--seed"), 1)
    .option("--split <split>", `${SPLITS.join(" | ")}: in-distribution, near-neighbour (N-1), out-of-distribution`, oneOf("--split", SPLITS), "id")
    .option(
      "--format <formats>",
      "prompt formats (raw | chat | template:…{prompt}…): one for every SPEC, or a comma-separated list with one per SPEC " +
        "(e.g. raw,chat for a base and its sft); later models are also measured in the first one's format",
      (v: string) => v.split(",").map((x) => x.trim()), ["raw"],
    )
    .addOption(new Option("--frame <formats>", "the older name of --format").hideHelp().argParser((v: string) => v.split(",").map((x) => x.trim())))
    .option("--samples <n>", "samples per arithmetic prompt for the solution formats", int("--samples", 1), 1)
    .option("--world <file>", "world settings: a JSON file ({ seed?, arithmetic?, knowledge? }) or a lab run folder whose recipe config has them (default: the tasks' defaults)")
    .option("--store <dir>", "run store folder (the audit's): runs.sqlite + cache.sqlite; a second run resumes", ".ftledger")
    .option("--json <file>", "write the table's numbers and the audit result (every ledger row) to this file (atomically)")
    .option("--quiet", "no progress on stderr", false)
    .addHelpText("after", "\nExamples:\n  ftledger lab eval builtin:zoo/base-m --n 500\n  ftledger lab eval builtin:zoo/base-m builtin:runs/sft --format raw,chat --world runs/sft --json eval.json\n\nFor the full ledger (every probe, hidden trades, a CI gate) use ftledger audit.")
    .action(async (specs: string[], o: Omit<EvalOptions, "formats"> & { format: string[]; frame?: string[] }) => {
      const { format, frame, ...rest } = o;
      process.exitCode = await labEval(specs, { ...rest, formats: frame ?? format });
    });

  addServeOptions(program
    .command("serve")
    .description("any model as an OpenAI-compatible API: /v1/models, /v1/completions (echo, logprobs, prompt_logprobs), /v1/chat/completions")
    .argument("<spec>", SPEC_FORMS)
    .option("--port <n>", "port (0 = any free one)", int("--port"), 8000)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--name <name>", "model name clients send (default: the folder or file name)"))
    .addHelpText("after", "\nExamples:\n  ftledger serve builtin:zoo/base-m --port 8000\n  ftledger serve gguf:model.gguf --port 0 --name m     # any free port; prints the URL\n  ftledger audit --base openai:http://127.0.0.1:8000/v1#base-m --tuned builtin:runs/sft --base-format raw --tuned-format chat")
    .action(async (spec: string, o: ServeCommandOptions) => {
      process.exitCode = await serveCommand(spec, o);
    });

  program
    .command("view")
    .description("a local web app over past runs: the list of runs, one run's ledger and plots, two runs compared, a trajectory over checkpoints")
    .argument("[store]", "run store folder (the --store of ftledger audit)", ".ftledger")
    .option("--port <n>", "port (0 = any free one)", int("--port"), 8080)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .addOption(allowHostOption("viewer"))
    .addHelpText(
      "after",
      `
Examples:
  ftledger view                      the runs in .ftledger, at http://127.0.0.1:8080/
  ftledger view runs/store --port 0  another store, on any free port

Exit codes: 0 stopped with Ctrl-C, 2 no run store there or the port is taken.`,
    )
    .action(async (store: string, o: { port: number; host: string; allowHost: string[] }) => {
      process.exitCode = await viewCommand(store, o);
    });

  const exp = program.command("export").description("write a checkpoint in another format");
  exp
    .command("gguf")
    .description("engine checkpoint → GGUF for llama.cpp (llama architecture, character tokenizer as gpt2 with no merges); with --lora, a PEFT LoRA adapter → GGUF LoRA adapter")
    .argument("<ckpt>", "HF-layout checkpoint folder (with --lora: a PEFT adapter folder, or a LoRA run: its newest adapter)")
    .argument("<out>", "output .gguf file")
    .option("--dtype <dtype>", "f32, f16, q8_0 or q4_0 (llama.cpp's block formats for the matrices; norms stay f32; a LoRA adapter: f32 or f16)", "f32")
    .option("--lora", "the input is a PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) → a llama.cpp GGUF LoRA adapter")
    .option("--base <dir>", "with --lora: the adapter's base model folder (default: its base_model_name_or_path)")
    .addHelpText("after", "\nExamples:\n  ftledger export gguf zoo/base-m base-m.gguf\n  ftledger export gguf runs/sft/checkpoints/step-000300 sft.gguf --dtype f16\n  ftledger export gguf zoo/base-m base-m-q4.gguf --dtype q4_0   # then audit gguf:base-m.gguf against gguf:base-m-q4.gguf\n  ftledger audit --base gguf:base-m.gguf --tuned gguf:sft.gguf\n  ftledger export gguf --lora runs/lora/checkpoints/step-000300/adapter lora.gguf   # load with llama.cpp's --lora lora.gguf on base-m.gguf")
    .action(async (ckpt: string, outPath: string, o: { dtype: string; lora?: boolean; base?: string }) => {
      process.exitCode = await exportGgufCommand(ckpt, outPath, o);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    // an unexpected error is a bug or an environment problem: say so, and show the
    // stack when FTLEDGER_DEBUG is set so it can be reported
    process.stderr.write(`ftledger: ${(e as Error).message}\n`);
    if (process.env.FTLEDGER_DEBUG) process.stderr.write(`${(e as Error).stack ?? ""}\n`);
    else process.stderr.write("(set FTLEDGER_DEBUG=1 to see where it happened)\n");
    process.exitCode = 2;
  }
}

/** Is this module the program node was started with (`node dist/cli/main.js`, `tsx src/cli/main.ts`), not an import? */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// run when started directly; bin/ftledger.js, tests and tools import the module and call main themselves
if (isEntryPoint()) await main(process.argv);
