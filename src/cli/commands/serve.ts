/**
 * `ftledger serve SPEC`: any model as an OpenAI-compatible API on this machine; with
 * `--lora-modules NAME=PATH …` (vLLM's flag) LoRA adapters over it too, each by name, over
 * the one base loaded.
 */
import { Option, type Command } from "commander";
import { loraModuleSpecs, type LanguageModel } from "../../backends/index.js";
import { isEftSpec, openAnyModel as openModel } from "../../compose/index.js";
import { DEFAULT_LIMITS, startServer, type ServeLimits } from "../../serve/index.js";
import { int } from "../options.js";
import { addOpenAIOptions, checkedSettings, forUpstream, openaiConnection, upstreamFlags } from "../openai-options.js";
import { addGpuOption } from "../gpu-option.js";
import type { GgufGpu } from "../../backends/index.js";

export interface ServeCommandOptions extends ServeLimits {
  /** `--upstream-…`: how an `openai:` model behind this server is reached (audit's four openai flags). */
  upstreamApiKeyEnv?: string;
  upstreamTimeout?: number;
  upstreamRetries?: number;
  upstreamConcurrency?: number;
  port: number;
  host: string;
  name?: string;
  allowHost: string[];
  apiKeyEnv?: string;
  /** `NAME=PATH` entries: LoRA adapters over the served base, each served under NAME. */
  loraModules?: string[];
  /** A gguf: model's device, its adapters' too (../gpu-option.ts). */
  gpu?: GgufGpu;
}

const hosts = (v: string, prev: string[]) => [...prev, ...v.split(",").map((h) => h.trim()).filter(Boolean)];

/** --allow-host of `serve` and `view`: the Host / Origin allow-list of src/serve's guard. */
export function allowHostOption(who: "server" | "viewer"): Option {
  return new Option("--allow-host <names>", `host names the ${who} answers to besides localhost, 127.0.0.1, [::1] and --host (any port; repeat or comma-separate; * = any): other Host or Origin headers get 403, against DNS rebinding`)
    .argParser(hosts)
    .default([], "none");
}

/** The server's limits and guards as options of `ftledger serve` (each default with why). */
export function addServeOptions(cmd: Command): Command {
  const d = DEFAULT_LIMITS;
  cmd
    .option("--max-body-bytes <n>", "largest request body; bodies are parsed in memory, and 1 MiB holds a full-context prompt of any model the engine runs", int("--max-body-bytes", 1), d.maxBodyBytes)
    .option("--max-prompts <n>", "most prompts in one /v1/completions list; each is decoded in turn, as costly as that many requests", int("--max-prompts", 1), d.maxPrompts)
    .option("--max-prompt-bytes <n>", "longest prompt (chat: its messages together), checked before tokenizing, which costs about 1 s per MB; lower still where the model's context proves a prompt cannot fit", int("--max-prompt-bytes", 1), d.maxPromptBytes)
    .option("--max-concurrent <n>", "requests computing at once; they take turns between decoding steps and each holds its KV caches in memory", int("--max-concurrent", 1), d.maxConcurrent)
    .option("--max-queue <n>", "requests waiting for a slot; one more is answered 429 with Retry-After", int("--max-queue", 0), d.maxQueue)
    .addOption(allowHostOption("server"))
    .option("--api-key-env <NAME>", "require `Authorization: Bearer <key>`, the key read from this environment variable (never printed)")
    .option("--lora-modules <NAME=PATH...>", "LoRA adapters over the served builtin: or gguf: base, each served under NAME (vLLM's flag): a PEFT folder (builtin) or GGUF adapter (gguf), PATH@scale to scale it; the base is loaded once, a request's model picks the adapter; e.g. serve builtin:zoo/base-m --lora-modules math=runs/m/adapter");
  // an openai: model served here is reached with audit's four settings, named --upstream-…
  return addGpuOption(addOpenAIOptions(cmd, "upstream-"));
}

export async function serveCommand(spec: string, o: ServeCommandOptions): Promise<number> {
  let apiKey: string | undefined;
  if (o.apiKeyEnv !== undefined) {
    apiKey = process.env[o.apiKeyEnv];
    if (!apiKey) {
      process.stderr.write(`ftledger: --api-key-env ${o.apiKeyEnv}: that environment variable is ${apiKey === undefined ? "not set" : "empty"}; set it to the key clients must send (export ${o.apiKeyEnv}=...), or leave out --api-key-env.\n`);
      return 2;
    }
    if (/\s/.test(apiKey)) {
      process.stderr.write(`ftledger: --api-key-env ${o.apiKeyEnv}: the key holds whitespace, which an Authorization header cannot carry intact; remove it from the variable's value.\n`);
      return 2;
    }
  }
  const upstream = checkedSettings(upstreamFlags(o), "upstream-");
  if (!upstream.ok) {
    process.stderr.write(`ftledger: ${upstream.error}\n`);
    return 2;
  }
  const gpu = o.gpu !== undefined ? { gpu: o.gpu } : {};
  const modules = loraModuleSpecs(spec, o.loraModules ?? []);
  if (!modules.ok) {
    process.stderr.write(`ftledger: ${modules.error}\n`);
    return 2;
  }
  let model;
  try {
    model = await openModel(spec, { openai: openaiConnection(upstream.value), ...gpu });
  } catch (e) {
    process.stderr.write(`ftledger: ${forUpstream((e as Error).message)}\n`);
    return 2;
  }
  const name = o.name ?? (isEftSpec(spec) ? "eft" : undefined) ?? spec.replace(/^[a-z]+:/, "").replace(/\/+$/, "").split("/").pop() ?? model.id;
  // each adapter over the base already loaded (src/backends: one base in memory for all)
  const adapters: { name: string; model: LanguageModel }[] = [];
  const closeAll = async () => {
    for (const a of adapters) await a.model.close();
    await model.close();
  };
  for (const m of modules.value) {
    if (m.name === name) {
      process.stderr.write(`ftledger: --lora-modules ${m.name}=${m.path}: "${m.name}" is the base's name; give the adapter another name (or the base one with --name)\n`);
      await closeAll();
      return 2;
    }
    try {
      adapters.push({ name: m.name, model: await openModel(m.spec, gpu) });
    } catch (e) {
      process.stderr.write(`ftledger: --lora-modules ${m.name}=${m.path}: ${(e as Error).message}\n`);
      await closeAll();
      return 2;
    }
  }
  const limits: ServeLimits = { maxBodyBytes: o.maxBodyBytes, maxPrompts: o.maxPrompts, maxPromptBytes: o.maxPromptBytes, maxConcurrent: o.maxConcurrent, maxQueue: o.maxQueue };
  let server;
  try {
    server = await startServer(model, { port: o.port, host: o.host, modelName: name, adapters, limits, allowHosts: o.allowHost, apiKey });
  } catch (e) {
    process.stderr.write(`ftledger: cannot listen on ${o.host}:${o.port} (${(e as Error).message}); choose another --port.\n`);
    await closeAll();
    return 2;
  }
  process.stdout.write(`serving ${model.id} as "${name}" at ${server.url}${apiKey ? ` (API key required: the value of $${o.apiKeyEnv})` : ""}\n`);
  for (const [i, a] of adapters.entries()) process.stdout.write(`  and LoRA adapter ${modules.value[i].path} (${a.model.id}) as "${a.name}": audit it as openai:${server.url}#${a.name}\n`);
  const auth = apiKey ? ` -H "authorization: Bearer $${o.apiKeyEnv}"` : "";
  process.stdout.write(`try: curl -s ${server.url}/completions -H 'content-type: application/json'${auth} -d '{"model":"${name}","prompt":"the cat","max_tokens":8,"echo":true,"logprobs":1}'\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  await closeAll();
  return 0;
}
