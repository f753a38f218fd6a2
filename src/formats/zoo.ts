/**
 * The zoo: the small base checkpoints shipped in the package's `zoo/` folder
 * (docs/ZOO.md). A path `zoo/NAME` that does not exist relative to the working
 * directory names the package's own copy, so `builtin:zoo/base-m` and an sft config's
 * `"base": "zoo/base-m"` work from any folder, as `npx ftledger demo` does.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The shipped models, by name (docs/ZOO.md): three character-level scales and base-m's
 * architecture with a 1,024-token byte-level BPE (its tokenizer also in zoo/recipes).
 */
export const ZOO_MODELS = ["base-s", "base-m", "base-l", "base-m-bpe"] as const;
export type ZooModel = (typeof ZOO_MODELS)[number];

/** The package's zoo folder (this file is src/formats/zoo.ts or dist/formats/zoo.js). */
export const ZOO_DIR = fileURLToPath(new URL("../../zoo/", import.meta.url));

/** `path` itself when it exists; otherwise, for `zoo/NAME`, the package's copy when that exists; else `path` unchanged. */
export function resolveZooPath(path: string): string {
  if (existsSync(path)) return path;
  const m = /^(?:\.\/)?zoo\/(.+)$/.exec(path);
  if (!m) return path;
  const packaged = join(ZOO_DIR, m[1]);
  return existsSync(packaged) ? packaged : path;
}
