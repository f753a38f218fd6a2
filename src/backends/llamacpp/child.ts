/**
 * The load check that runs in a child process (measured: some malformed GGUF files
 * make llama.cpp abort the whole process, so a user's file is loaded in a throwaway
 * process first).
 *
 * The child's source is a plain ESM string, written once to a temp `.mjs` file named by
 * its hash and run with `node FILE`, so it works the same from `src` (tsx / vitest) and
 * from `dist`, with no loader and no second compiled file to locate. NOTE: not `node -e`:
 * node-llama-cpp tests its binary in a grandchild forked with the child's execArgv,
 * which `--input-type=module -e …` breaks. It imports node-llama-cpp by the absolute URL the parent
 * resolves, loads the model on the caller's device (the CPU unless `gpu` says otherwise:
 * ./gpu.ts; prebuilt binary only: no build, no download),
 * evaluates one token with full probabilities, and reports each stage as a JSON line on
 * stdout, so the parent can say how far it got when the child dies.
 */
import { spawn } from "node:child_process";
import { sha256Text } from "../../random/index.js";
import { access } from "node:fs/promises";
import { writeTextAtomic } from "../../formats/index.js";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { GgufGpu } from "./gpu.js";

const CHILD_SOURCE = `
const { path, lib, lora, gpu } = JSON.parse(process.env.FTLEDGER_GGUF_CHECK);
const say = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
try {
  say({ stage: "starting llama.cpp" });
  const { getLlama, LlamaLogLevel } = await import(lib);
  const llama = await getLlama({ gpu: gpu && gpu !== "off" ? gpu : false, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  say({ stage: "loading the model" });
  const model = await llama.loadModel({ modelPath: path, gpuLayers: llama.gpu === false ? 0 : "auto" });
  say({ stage: lora ? "creating a context with the LoRA adapter" : "creating a context" });
  const context = await model.createContext({ contextSize: Math.min(model.trainContextSize || 64, 64), sequences: 1, ...(lora ? { lora: { adapters: [{ filePath: lora }] } } : {}) });
  say({ stage: "evaluating one token" });
  const first = model.tokens.bos ?? model.tokenize("a", false)[0] ?? 0;
  const out = await context.getSequence().controlledEvaluate([[first, { generateNext: { probabilities: true } }]]);
  const probs = out[0]?.next?.probabilities;
  let sum = 0;
  for (const p of probs?.values() ?? []) sum += p;
  if (!probs || probs.size === 0 || !(Math.abs(sum - 1) < 1e-3)) {
    say({ stage: "error", message: "evaluating one token gave no valid next-token distribution (" + (probs?.size ?? 0) + " probabilities summing to " + sum + ")" });
    process.exit(3);
  }
  say({ stage: "ok", vocab: probs.size });
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  process.exit(0);
} catch (e) {
  say({ stage: "error", message: String(e && e.message || e) });
  process.exit(3);
}
`;

export type ChildOutcome =
  | { ok: true; vocab: number }
  /** Threw inside node-llama-cpp: a JS error with a message. */
  | { ok: false; kind: "error"; stage: string; message: string; stderr: string }
  /** Died by a signal (SIGABRT from a llama.cpp assertion, SIGSEGV, …) or exited abnormally. */
  | { ok: false; kind: "died"; stage: string; signal: string | null; exitCode: number | null; stderr: string }
  | { ok: false; kind: "timeout"; stage: string; seconds: number; stderr: string };

let script: Promise<string> | null = null;

/** The child script's file: written once (temp + rename, so concurrent writers are safe). */
function scriptFile(): Promise<string> {
  script ??= (async () => {
    const file = join(tmpdir(), `ftledger-gguf-check-${sha256Text(CHILD_SOURCE).slice(0, 16)}.mjs`);
    try {
      await access(file);
    } catch {
      await writeTextAtomic(file, CHILD_SOURCE);
    }
    return file;
  })();
  script.catch(() => (script = null));
  return script;
}

/**
 * Load `path` (with the GGUF LoRA adapter `lora` on its context, when given) with llama.cpp in a
 * child process on `gpu` (./gpu.ts; default the CPU) and evaluate one token. Never throws.
 */
export async function loadInChild(path: string, timeoutMs = 120_000, lora?: string, gpu: GgufGpu = "off"): Promise<ChildOutcome> {
  const lib = pathToFileURL(createRequire(import.meta.url).resolve("node-llama-cpp")).href;
  let file: string;
  try {
    file = await scriptFile();
  } catch (e) {
    return { ok: false, kind: "error", stage: "writing the check script", message: (e as Error).message, stderr: "" };
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      env: { ...process.env, FTLEDGER_GGUF_CHECK: JSON.stringify({ path, lib, ...(lora ? { lora } : {}), ...(gpu !== "off" ? { gpu } : {}) }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ ok: false, kind: "error", stage: "starting the check process", message: e.message, stderr });
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      const lines = stdout.split("\n").filter(Boolean).flatMap((l) => {
        try {
          return [JSON.parse(l) as { stage: string; message?: string; vocab?: number }];
        } catch {
          return [];
        }
      });
      const last = lines.at(-1);
      const stage = lines.filter((l) => l.stage !== "error" && l.stage !== "ok").at(-1)?.stage ?? "starting node";
      const tail = stderr.trim().split("\n").slice(-8).join("\n");
      if (timedOut) resolve({ ok: false, kind: "timeout", stage, seconds: timeoutMs / 1000, stderr: tail });
      else if (exitCode === 0 && last?.stage === "ok") resolve({ ok: true, vocab: last.vocab ?? 0 });
      else if (last?.stage === "error") resolve({ ok: false, kind: "error", stage, message: last.message ?? "unknown error", stderr: tail });
      else resolve({ ok: false, kind: "died", stage, signal, exitCode, stderr: tail });
    });
  });
}
