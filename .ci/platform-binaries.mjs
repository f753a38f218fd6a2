// The optional platform binaries CI installs after `npm ci --omit=optional`: every optional
// package in package-lock.json that declares an os or cpu this machine has (esbuild's,
// rolldown's and lightningcss's native binaries, which tsx, vite and vitest need), printed
// as name@version (the lockfile's exact version), one per line, for `npm install --no-save`.
//
// Left out: node-llama-cpp's prebuilt llama.cpp binaries (@node-llama-cpp/*: CUDA, Vulkan,
// and the ARM builds, which declare x64 too). CI runs llama.cpp on the CPU only, with
// @node-llama-cpp/linux-x64, a direct dependency that `--omit=optional` keeps. A plain
// `npm ci` (what a user runs) installs them all, so a clone on a GPU or ARM machine gets its build.
// Optional packages without an os or cpu (the wasm fallbacks' helpers) are left out too, and so is
// a binary whose every dependent is itself optional (@reflink/reflink-linux-x64-gnu of
// @reflink/reflink, which ipull, node-llama-cpp's downloader, may use): `--omit=optional` drops the dependent.
import { readFileSync } from "node:fs";

const lock = JSON.parse(readFileSync(new URL("../package-lock.json", import.meta.url), "utf8"));
const glibc = Boolean(process.report?.getReport?.().header?.glibcVersionRuntime);
const libc = process.platform === "linux" ? (glibc ? "glibc" : "musl") : null;

/** npm's rule: a list matches when it names the value or, with "!", excludes everything else but it. */
function matches(list, value) {
  if (!Array.isArray(list) || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const positive = list.filter((x) => !x.startsWith("!"));
  return positive.length === 0 || positive.includes(value);
}

/** The lockfile entries that depend on `name`, and whether any of them is installed with `--omit=optional`. */
const entries = Object.entries(lock.packages ?? {});
const neededBy = (name) => entries.some(([, q]) => !q.optional && (name in (q.optionalDependencies ?? {}) || name in (q.dependencies ?? {})));

const out = [];
for (const [path, p] of Object.entries(lock.packages ?? {})) {
  if (!path.startsWith("node_modules/") || !p.optional || (!p.os && !p.cpu)) continue;
  const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
  if (name.startsWith("@node-llama-cpp/")) continue;
  if (path.indexOf("node_modules/", 1) > 0) {
    // a nested copy cannot be installed at the top level by name: say so rather than skip it quietly
    console.error(`platform-binaries: ${path} is nested; install it with a plain \`npm ci\``);
    process.exitCode = 1;
    continue;
  }
  if (!neededBy(name)) continue;
  if (matches(p.os, process.platform) && matches(p.cpu, process.arch) && (libc === null || matches(p.libc, libc))) out.push(`${name}@${p.version}`);
}
process.stdout.write(out.map((s) => `${s}\n`).join(""));
