/**
 * The HF-layout folders `merge` and `sweep` write: weights streamed tensor by tensor, the
 * reference model's config and tokenizer files copied beside them, and a manifest that says
 * how the folder was made. The whole folder is built under a temporary name and renamed
 * into place, so a killed run never leaves a folder that looks complete; the next write
 * removes a killed run's `OUT.tmp-<pid>` (formats' replaceDirAtomic).
 */
import { copyFile, mkdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { replaceDirAtomic, writeSafetensorsModelStream, writeTextAtomic, type TensorPlan } from "../formats/index.js";
import { wfail, type WeightsError, type WeightsResult } from "./errors.js";

/** Files copied from the reference model when present (the weights are written, never copied). */
const COPIED = ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json", "tokenizer.model"];

/** The manifest every folder written here carries; its presence marks a folder ftledger may overwrite. */
export const WEIGHTS_MANIFEST = "ftledger-weights.json";

/** Carries a WeightsError out of a `produce` callback through the atomic writer. */
export class WeightsAbort extends Error {
  constructor(readonly error: WeightsError) {
    super(error.code);
  }
}

/**
 * Refuse to replace a folder that ftledger did not write (a typo in --out must not delete a
 * model) or that is one of the inputs.
 */
export async function checkOutput(out: string, inputs: readonly string[]): Promise<WeightsResult<void>> {
  const abs = resolve(out);
  if (inputs.some((d) => resolve(d) === abs)) return wfail({ code: "output", path: out, message: "it is one of the input models" });
  const s = await stat(abs).catch(() => null);
  if (!s) return { ok: true, value: undefined };
  if (!s.isDirectory()) return wfail({ code: "output", path: out, message: "it exists and is not a folder" });
  const mine = await stat(join(abs, WEIGHTS_MANIFEST)).then(() => true, () => false);
  if (!mine) return wfail({ code: "output", path: out, message: `the folder exists and was not written by ftledger merge or sweep (no ${WEIGHTS_MANIFEST}); remove it or choose another --out` });
  return { ok: true, value: undefined };
}

export interface WriteModelFolder {
  out: string;
  /** The model whose config and tokenizer files are copied. */
  referenceDir: string;
  plan: readonly TensorPlan[];
  produce: (index: number) => Promise<Float32Array>;
  manifest: Record<string, unknown>;
  /** Extra text files (README.md model card). */
  extra?: Record<string, string>;
  maxShardBytes?: number;
  metadata?: Record<string, string>;
}

export async function writeModelFolder(w: WriteModelFolder): Promise<WeightsResult<{ dir: string; files: string[] }>> {
  const files: string[] = [];
  try {
    await replaceDirAtomic(resolve(w.out), async (tmp) => {
      await mkdir(tmp, { recursive: true });
      for (const f of COPIED) {
        const from = join(w.referenceDir, f);
        if (await stat(from).then((s) => s.isFile(), () => false)) {
          await copyFile(from, join(tmp, f));
          files.push(f);
        }
      }
      const metadata = { ...w.metadata, format: "pt" };
      files.push(...(await writeSafetensorsModelStream(tmp, w.plan, w.produce, { metadata, ...(w.maxShardBytes ? { maxShardBytes: w.maxShardBytes } : {}) })));
      for (const [name, text] of Object.entries(w.extra ?? {})) {
        await writeTextAtomic(join(tmp, name), text);
        files.push(name);
      }
      await writeTextAtomic(join(tmp, WEIGHTS_MANIFEST), JSON.stringify(w.manifest, null, 2) + "\n");
      files.push(WEIGHTS_MANIFEST);
    });
  } catch (e) {
    if (e instanceof WeightsAbort) return wfail(e.error);
    const err = e as NodeJS.ErrnoException;
    return wfail({ code: "output", path: w.out, message: err.code === "ENOSPC" ? "the disk is full" : (err.message ?? String(e)) });
  }
  return { ok: true, value: { dir: resolve(w.out), files } };
}
