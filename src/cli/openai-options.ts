/**
 * How the commands that open models (`audit`, `lab eval`) talk to `openai:` servers: the
 * flags (`--api-key-env`, `--timeout`, `--retries`, `--concurrency`), the same settings as
 * audit config keys (validated by the audit's schema), and their conversion into the
 * backend's `OpenAIConnection`. Other specs ignore them.
 *
 * NOTE: on `serve` they are `--upstream-…` (`--upstream-api-key-env` and so on): there
 * `--api-key-env` is the key its own clients must send; `forUpstream` renames the flags in
 * the backend's messages to match.
 *
 * NOTE: `--api-key-env` takes the NAME of a variable. It is checked with the config keys
 * (`openaiSettingsShape`), not by a commander argument parser, because commander quotes a
 * refused value in its message and the value may be the key itself, pasted by mistake.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import type { OpenAIConnection } from "../backends/index.js";

/** Flag values as commander gives them (camelCase). */
export interface OpenAIFlagValues {
  apiKeyEnv?: string;
  timeout?: number;
  retries?: number;
  concurrency?: number;
}

/** flag (camelCase) → config key. */
export const OPENAI_FLAG_KEYS = { apiKeyEnv: "api-key-env", timeout: "timeout", retries: "retries", concurrency: "concurrency" } as const;

/** A day: longer is a mistake, and Node's timers cannot hold much more than 24 days. */
const MAX_TIMEOUT_S = 86_400;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NOT_A_NAME = "must be the NAME of an environment variable that holds the API key (letters, digits and _, e.g. OPENAI_API_KEY), not the key itself";

/** The config-file keys (audit's --config), validated with the same rules as the flags. */
export const openaiSettingsShape = {
  /** No default: no Authorization header is sent. */
  "api-key-env": z.string().regex(ENV_NAME, NOT_A_NAME).optional(),
  /** Seconds per attempt. Default 60: a long generation on a busy server still fits. */
  timeout: z.number().min(0.001, "must be a number of seconds > 0 (e.g. 30)").max(MAX_TIMEOUT_S, `must be at most ${MAX_TIMEOUT_S} seconds`).optional(),
  /** Default 5: up to ~15 s of backoff, enough to ride out a server restart without hiding a dead server. */
  retries: z.number().int("must be a whole number of retries").min(0, "must be 0 or more").optional(),
  /** Default 8: fills a small vLLM batch without queueing at the server. */
  concurrency: z.number().int("must be a whole number of requests").min(1, "must be 1 or more").optional(),
};

export type OpenAISettings = { "api-key-env"?: string; timeout?: number; retries?: number; concurrency?: number };

/** A numeric flag checked by its config key's rule, so flags and files cannot disagree. */
function numberFlag(flag: string, rule: z.ZodType) {
  return (v: string): number => {
    const n = v.trim() === "" ? Number.NaN : Number(v);
    if (!Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number, got "${v}"`);
    const r = rule.safeParse(n);
    if (!r.success) throw new InvalidArgumentError(`${flag} ${r.error.issues[0].message}, got "${v}"`);
    return n;
  };
}

/** The four flags on `cmd`, each named `--PREFIX…` (serve uses the prefix "upstream-"). */
export function addOpenAIOptions(cmd: Command, prefix = ""): Command {
  const f = (name: string) => `--${prefix}${name}`;
  return cmd
    .addOption(new Option(`${f("api-key-env")} <NAME>`, "openai: models: the environment variable that holds the API key, sent as a Bearer token and never printed or stored (default: none, no key sent)"))
    .option(`${f("timeout")} <seconds>`, "openai: models: seconds one request may take before it is given up and retried (default 60: a long generation on a busy server still fits)", numberFlag(f("timeout"), openaiSettingsShape.timeout))
    .option(`${f("retries")} <n>`, "openai: models: retry rounds once every endpoint has failed a request; moving to another replica is free (default 5: up to ~15 s of backoff, rides out a restart)", numberFlag(f("retries"), openaiSettingsShape.retries))
    .option(`${f("concurrency")} <n>`, "openai: models: requests in flight at once over all of a model's endpoints (default 8: fills a small vLLM batch without queueing)", numberFlag(f("concurrency"), openaiSettingsShape.concurrency));
}

/** serve's `--upstream-…` values (commander's camelCase) as the plain flag values. */
export function upstreamFlags(o: { upstreamApiKeyEnv?: string; upstreamTimeout?: number; upstreamRetries?: number; upstreamConcurrency?: number }): OpenAIFlagValues {
  return { apiKeyEnv: o.upstreamApiKeyEnv, timeout: o.upstreamTimeout, retries: o.upstreamRetries, concurrency: o.upstreamConcurrency };
}

/** A backend message with its flag advice renamed to serve's `--upstream-…` flags. */
export function forUpstream(message: string): string {
  return message.replace(/--(api-key-env|timeout|retries|concurrency)\b/g, "--upstream-$1");
}

/** Flag values checked by the config keys' rules (the key-variable name above all), as settings. */
export function checkedSettings(o: OpenAIFlagValues, flagPrefix = ""): { ok: true; value: OpenAISettings } | { ok: false; error: string } {
  const r = z.object(openaiSettingsShape).safeParse(settingsOfFlags(o));
  if (r.success) return { ok: true, value: r.data };
  const is = r.error.issues[0];
  return { ok: false, error: `--${flagPrefix}${String(is.path[0])} ${is.message}` };
}

/** The flags given, as config keys (flags not given are left out, so a config file's value stands). */
export function settingsOfFlags(o: OpenAIFlagValues): OpenAISettings {
  const out: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(OPENAI_FLAG_KEYS)) if (o[flag as keyof OpenAIFlagValues] !== undefined) out[key] = o[flag as keyof OpenAIFlagValues];
  return out as OpenAISettings;
}

/** Validated settings → the backend's options (seconds → milliseconds). */
export function openaiConnection(s: OpenAISettings): OpenAIConnection {
  return {
    ...(s["api-key-env"] !== undefined ? { apiKeyEnv: s["api-key-env"] } : {}),
    ...(s.timeout !== undefined ? { timeoutMs: Math.max(1, Math.round(s.timeout * 1000)) } : {}),
    ...(s.retries !== undefined ? { maxRetries: s.retries } : {}),
    ...(s.concurrency !== undefined ? { concurrency: s.concurrency } : {}),
  };
}
