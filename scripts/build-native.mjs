#!/usr/bin/env node
/**
 * Build the `native` kernel backend (native/ftledger_native.c over OpenBLAS). Runs as
 * the package's `install` script and by hand (`node scripts/build-native.mjs`).
 *
 * NOTE: this script never fails an install. Without OpenBLAS, node headers or a C
 * toolchain it prints one line saying why the native backend is skipped and exits 0;
 * the engine then falls back to wasm (see src/tensor/load.ts). The compiler output
 * goes to native/build.log.
 *
 *   1. FTLEDGER_SKIP_NATIVE=1 skips the build.
 *   2. Find OpenBLAS: FTLEDGER_OPENBLAS_DIR (a prefix with include/ and lib/), else
 *      pkg-config, else the usual system, /usr/local and Homebrew directories.
 *   3. Find node-gyp: npm_config_node_gyp (npm sets it for scripts), else the copy
 *      bundled with npm; and local node headers (npm_config_nodedir, else the ones
 *      installed next to this node) so no download is needed.
 *   4. `node-gyp rebuild` in native/, then load the addon in a child process to check
 *      that it links and runs.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { findNodeGyp, nodedirArgs } from "./node-gyp.mjs";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = join(root, "native");
const logFile = join(nativeDir, "build.log");
const addon = join(nativeDir, "build", "Release", "ftledger_native.node");
const FALLBACK = "the engine will use the wasm kernels";

function skip(why) {
  console.log(`ftledger: native backend skipped: ${why}; ${FALLBACK}.`);
  process.exit(0);
}

// 2. OpenBLAS ---------------------------------------------------------------------

const MULTIARCH = { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu", ppc64: "powerpc64le-linux-gnu", s390x: "s390x-linux-gnu" }[process.arch];
/** Directories the compiler and linker search anyway: found there, we pass nothing. */
const DEFAULT_INCLUDES = ["/usr/include", `/usr/include/${MULTIARCH}`, "/usr/local/include"];
const DEFAULT_LIBS = ["/usr/lib", `/usr/lib/${MULTIARCH}`, "/usr/lib64", "/usr/local/lib", "/lib", `/lib/${MULTIARCH}`];
const LIB_NAMES = ["libopenblas.so", "libopenblas.dylib", "libopenblas.a"];

function candidates() {
  const prefix = process.env.FTLEDGER_OPENBLAS_DIR;
  if (prefix) {
    return { inc: [join(prefix, "include"), join(prefix, "include", "openblas")], lib: [join(prefix, "lib"), join(prefix, "lib64")], from: `FTLEDGER_OPENBLAS_DIR=${prefix}` };
  }
  const inc = [];
  const lib = [];
  const pc = spawnSync("pkg-config", ["--cflags-only-I", "--libs-only-L", "openblas"], { encoding: "utf8" });
  if (pc.status === 0) {
    for (const flag of pc.stdout.trim().split(/\s+/)) {
      if (flag.startsWith("-I")) inc.push(flag.slice(2));
      if (flag.startsWith("-L")) lib.push(flag.slice(2));
    }
  }
  inc.push(...DEFAULT_INCLUDES, "/usr/include/openblas", "/usr/local/include/openblas", "/opt/homebrew/opt/openblas/include", "/usr/local/opt/openblas/include");
  lib.push(...DEFAULT_LIBS, "/opt/homebrew/opt/openblas/lib", "/usr/local/opt/openblas/lib");
  return { inc, lib, from: "the system directories" };
}

function findOpenblas() {
  const { inc, lib, from } = candidates();
  // cblas.h must be OpenBLAS's own (the reference BLAS has one without openblas_* calls)
  const header = inc.find((d) => {
    const f = join(d, "cblas.h");
    return existsSync(f) && readFileSync(f, "utf8").includes("openblas_set_num_threads");
  });
  if (!header) return { error: `OpenBLAS headers (cblas.h) not found in ${from} — install libopenblas-dev (Debian/Ubuntu) or openblas (Homebrew), or set FTLEDGER_OPENBLAS_DIR` };
  const libDir = lib.find((d) => LIB_NAMES.some((n) => existsSync(join(d, n))));
  if (!libDir) return { error: `OpenBLAS headers found in ${header} but no libopenblas in ${from} — install libopenblas-dev` };
  return {
    include: DEFAULT_INCLUDES.includes(header) ? "" : header,
    lib: DEFAULT_LIBS.includes(libDir) ? "" : libDir,
  };
}

// 3. node-gyp and node headers: ./node-gyp.mjs

// main --------------------------------------------------------------------------------

function main() {
  if (process.env.FTLEDGER_SKIP_NATIVE === "1") skip("FTLEDGER_SKIP_NATIVE=1 is set");
  const blas = findOpenblas();
  if (blas.error) skip(blas.error);
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) skip("node-gyp not found (it ships with npm; set npm_config_node_gyp to its bin/node-gyp.js)");

  const env = { ...process.env, FTLEDGER_OPENBLAS_INCLUDE: blas.include, FTLEDGER_OPENBLAS_LIB: blas.lib };
  const build = spawnSync(process.execPath, [nodeGyp, "rebuild", ...nodedirArgs()], {
    cwd: nativeDir, env, encoding: "utf8", timeout: 10 * 60 * 1000, maxBuffer: 64 * 1024 * 1024,
  });
  writeFileSync(logFile, `${build.stdout ?? ""}${build.stderr ?? ""}${build.error ? String(build.error) : ""}`);
  if (build.status !== 0 || !existsSync(addon)) {
    const err = (build.stderr ?? "").split("\n").find((l) => /error|not found|No such file/i.test(l) && !/^gyp (info|ERR! (stack|System|command|cwd|node|not ok))/.test(l));
    skip(`node-gyp build failed${err ? ` (${err.trim()})` : ""}; full output in ${logFile}`);
  }

  // 4. the addon must load in a fresh process (catches a libopenblas missing at run time)
  const probe = spawnSync(process.execPath, ["-e", `console.log(require(${JSON.stringify(addon)}).config().config.trim())`], { encoding: "utf8" });
  if (probe.status !== 0) skip(`the addon built but does not load (${(probe.stderr || "").trim().split("\n")[0]})`);
  console.log(`ftledger: native backend built (${probe.stdout.trim()}).`);
}

try {
  main();
} catch (e) {
  skip(`unexpected error in scripts/build-native.mjs (${e instanceof Error ? e.message : String(e)})`);
}
