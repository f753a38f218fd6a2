/**
 * The code a run was made with, for its manifest: the package version, and the git
 * commit when the package is a git checkout (read from .git directly, no git binary).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface CodeVersion {
  package: string;
  version: string;
  /** The checkout's HEAD commit; absent outside a git checkout. */
  commit?: string;
}

/** The package root (this file is src/train/code-version.ts or dist/train/code-version.js). */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function gitCommit(root: string): string | undefined {
  try {
    const git = join(root, ".git");
    if (!existsSync(join(git, "HEAD"))) return undefined;
    const head = readFileSync(join(git, "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return /^[0-9a-f]{40}$/.test(head) ? head : undefined;
    const ref = head.slice(5);
    const loose = join(git, ref);
    if (existsSync(loose)) return readFileSync(loose, "utf8").trim();
    const packed = readFileSync(join(git, "packed-refs"), "utf8").split("\n").find((l) => l.endsWith(` ${ref}`));
    return packed?.split(" ")[0];
  } catch {
    return undefined;
  }
}

export function codeVersion(root = ROOT): CodeVersion {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string };
  const commit = gitCommit(root);
  return { package: pkg.name, version: pkg.version, ...(commit ? { commit } : {}) };
}
