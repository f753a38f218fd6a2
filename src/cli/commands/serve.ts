/** `ftledger serve SPEC`: any model as an OpenAI-compatible API on this machine. */
import { Option, type Command } from "commander";
import { isEftSpec, openAnyModel as openModel } from "../../compose/index.js";
import { DEFAULT_LIMITS, startServer, type ServeLimits } from "../../serve/index.js";
import { int } from "../options.js";
import { addOpenAIOptions, checkedSettings, forUpstream, openaiConnection, upstreamFlags } from "../openai-options.js";

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
    .option("--api-key-env <NAME>", "require `Authorization: Bearer <key>`, the key read from this environment variable (never printed)");
  // an openai: model served here is reached with audit's four settings, named --upstream-…
  return addOpenAIOptions(cmd, "upstream-");
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
  let model;
  try {
    model = await openModel(spec, { openai: openaiConnection(upstream.value) });
  } catch (e) {
    process.stderr.write(`ftledger: ${forUpstream((e as Error).message)}\n`);
    return 2;
  }
  const name = o.name ?? (isEftSpec(spec) ? "eft" : undefined) ?? spec.replace(/^[a-z]+:/, "").replace(/\/+$/, "").split("/").pop() ?? model.id;
  const limits: ServeLimits = { maxBodyBytes: o.maxBodyBytes, maxPrompts: o.maxPrompts, maxPromptBytes: o.maxPromptBytes, maxConcurrent: o.maxConcurrent, maxQueue: o.maxQueue };
  let server;
  try {
    server = await startServer(model, { port: o.port, host: o.host, modelName: name, limits, allowHosts: o.allowHost, apiKey });
  } catch (e) {
    process.stderr.write(`ftledger: cannot listen on ${o.host}:${o.port} (${(e as Error).message}); choose another --port.\n`);
    await model.close();
    return 2;
  }
  process.stdout.write(`serving ${model.id} as "${name}" at ${server.url}${apiKey ? ` (API key required: the value of $${o.apiKeyEnv})` : ""}\n`);
  const auth = apiKey ? ` -H "authorization: Bearer $${o.apiKeyEnv}"` : "";
  process.stdout.write(`try: curl -s ${server.url}/completions -H 'content-type: application/json'${auth} -d '{"model":"${name}","prompt":"the cat","max_tokens":8,"echo":true,"logprobs":1}'\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.close();
  await model.close();
  return 0;
}
