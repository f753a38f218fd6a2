#!/usr/bin/env node
/**
 * Build the gguf backend's direct scorer (native/llama/ftledger_llama.c), a small addon
 * that evaluates prompts on the llama.cpp that node-llama-cpp's prebuilt CPU package
 * ships. Runs as part of the package's `install` script and by hand
 * (`node scripts/build-llama.mjs`).
 *
 * NOTE: this script never fails an install. Without the prebuilt package, git, node
 * headers or a C toolchain it prints one line saying why the direct scorer is skipped
 * and exits 0; the gguf backend then scores through node-llama-cpp alone (slower on
 * small models, same numbers up to float rounding). The compiler output goes to
 * native/llama/build.log.
 *
 *   1. FTLEDGER_SKIP_NATIVE=1 skips the build (as for the kernels).
 *   2. The prebuilt binaries: @node-llama-cpp/<platform>-<arch> (the CPU build), its
 *      bins/<platform>-<arch>/ folder with libllama and libggml.
 *   3. The headers of that exact llama.cpp release: node-llama-cpp ships its llama.cpp
 *      source as a git bundle (llama/gitRelease.bundle); `git archive` takes include/ and
 *      ggml/include/ out of it. The bundle's release must be the binaries' release.
 *   4. `node-gyp rebuild` in native/llama, then load the addon in a child process and
 *      start ggml's CPU backend, to check that it links and runs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { findNodeGyp, nodedirArgs } from "./node-gyp.mjs";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "native", "llama");
const logFile = join(dir, "build.log");
const addon = join(dir, "build", "Release", "ftledger_llama.node");
const headers = join(dir, "headers"); // outside build/, which node-gyp rebuild empties
const FALLBACK = "the gguf backend will score through node-llama-cpp alone";
const require = createRequire(import.meta.url);

function skip(why) {
  console.log(`ftledger: llama.cpp direct scorer skipped: ${why}; ${FALLBACK}.`);
  process.exit(0);
}

// 2. the prebuilt binaries --------------------------------------------------------------

function findBins() {
  const name = `@node-llama-cpp/${process.platform}-${process.arch}`;
  let entry;
  try {
    entry = require.resolve(name);
  } catch {
    return { error: `${name} is not installed` };
  }
  const pkgDir = resolve(dirname(entry), "..");
  const bins = join(pkgDir, "bins", `${process.platform}-${process.arch}`);
  if (!existsSync(bins)) return { error: `${bins} does not exist` };
  const files = readdirSync(bins);
  const pick = (re) => files.find((f) => re.test(f));
  const libs = [pick(/^libllama(\.v[\d.]+)?\.so$/), pick(/^libggml(\.v[\d.]+)?\.so$/), pick(/^libggml-base\.so$/)];
  if (libs.some((l) => !l)) return { error: `libllama, libggml or libggml-base is missing in ${bins}` };
  let release;
  try {
    release = JSON.parse(readFileSync(join(bins, "_nlcBuildMetadata.json"), "utf8")).buildOptions.llamaCpp.release;
  } catch {
    return { error: `${bins}/_nlcBuildMetadata.json does not name its llama.cpp release` };
  }
  return { bins, libs, release };
}

// 3. the headers of that release ---------------------------------------------------------

function extractHeaders(release) {
  let nlc;
  try {
    nlc = resolve(dirname(require.resolve("node-llama-cpp")), "..");
  } catch {
    return "node-llama-cpp is not installed";
  }
  const bundle = join(nlc, "llama", "gitRelease.bundle");
  if (!existsSync(bundle)) return `${bundle} is missing`;
  try {
    const info = JSON.parse(readFileSync(join(nlc, "llama", "binariesGithubRelease.json"), "utf8"));
    if (info.release !== release) return `node-llama-cpp's source bundle is release ${info.release} but its binaries are ${release}`;
  } catch {
    return "node-llama-cpp's llama/binariesGithubRelease.json is unreadable";
  }
  const clone = join(dir, "headers-src");
  rmSync(clone, { recursive: true, force: true });
  rmSync(headers, { recursive: true, force: true });
  mkdirSync(headers, { recursive: true });
  const git = (args, opts = {}) => spawnSync("git", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  const cloned = git(["clone", "--quiet", "--no-checkout", bundle, clone]);
  if (cloned.error) return "git is not installed";
  if (cloned.status !== 0) return `git could not read ${bundle} (${cloned.stderr.trim().split("\n")[0]})`;
  const archive = spawnSync("sh", ["-c", `git -C "${clone}" archive HEAD include ggml/include | tar -x -C "${headers}"`], { encoding: "utf8" });
  rmSync(clone, { recursive: true, force: true });
  if (archive.status !== 0 || !existsSync(join(headers, "include", "llama.h"))) return `could not take llama.h out of ${bundle} (${(archive.stderr || "").trim()})`;
  return undefined;
}



function main() {
  if (process.env.FTLEDGER_SKIP_NATIVE === "1") skip("FTLEDGER_SKIP_NATIVE=1 is set");
  if (process.platform !== "linux") skip(`the direct scorer is built on Linux only (this is ${process.platform})`);
  const found = findBins();
  if (found.error) skip(found.error);
  const headerError = extractHeaders(found.release);
  if (headerError) skip(headerError);
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) skip("node-gyp not found (it ships with npm; set npm_config_node_gyp to its bin/node-gyp.js)");
  const env = {
    ...process.env,
    FTLEDGER_LLAMA_INCLUDE: headers,
    FTLEDGER_LLAMA_LIB: found.bins,
    FTLEDGER_LLAMA_LIBS: found.libs.map((l) => `-l:${l}`).join(" "),
  };
  const build = spawnSync(process.execPath, [nodeGyp, "rebuild", ...nodedirArgs()], {
    cwd: dir, env, encoding: "utf8", timeout: 10 * 60 * 1000, maxBuffer: 64 * 1024 * 1024,
  });
  writeFileSync(logFile, `${build.stdout ?? ""}${build.stderr ?? ""}${build.error ? String(build.error) : ""}`);
  if (build.status !== 0 || !existsSync(addon)) {
    const err = (build.stderr ?? "").split("\n").find((l) => /error|not found|No such file/i.test(l) && !/^gyp (info|ERR! (stack|System|command|cwd|node|not ok))/.test(l));
    skip(`node-gyp build failed${err ? ` (${err.trim()})` : ""}; full output in ${logFile}`);
  }
  const probe = spawnSync(process.execPath, ["-e", `console.log(require(${JSON.stringify(addon)}).init(${JSON.stringify(found.bins)}))`], { encoding: "utf8" });
  if (probe.status !== 0 || probe.stdout.trim() !== "true") skip(`the addon built but does not start llama.cpp's CPU backend (${(probe.stderr || probe.stdout || "").trim().split("\n")[0]})`);
  console.log(`ftledger: llama.cpp direct scorer built (llama.cpp ${found.release} from ${found.bins}).`);
}

try {
  main();
} catch (e) {
  skip(`unexpected error in scripts/build-llama.mjs (${e instanceof Error ? e.message : String(e)})`);
}
