/**
 * Finding node-gyp and local node headers without a download: shared by the addon build
 * scripts (build-native.mjs, build-llama.mjs).
 */
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** node-gyp's bin/node-gyp.js: npm_config_node_gyp (npm sets it for scripts), else the copy bundled with npm, else a local install. */
export function findNodeGyp() {
  const tries = [];
  if (process.env.npm_config_node_gyp) tries.push(process.env.npm_config_node_gyp);
  // npm_execpath is npm-cli.js while npm runs a script; otherwise follow `npm` on PATH
  const npmCli = process.env.npm_execpath || whichNpm();
  if (npmCli) tries.push(join(dirname(realpathSafe(npmCli)), "..", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  const prefix = dirname(dirname(process.execPath));
  tries.push(join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  tries.push(join(dirname(process.execPath), "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  try {
    tries.push(createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js"));
  } catch {
    // not installed locally; fine
  }
  return tries.find((p) => existsSync(p));
}

function whichNpm() {
  const r = spawnSync(process.platform === "win32" ? "where" : "which", ["npm"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split(/\r?\n/)[0].trim() : undefined;
}

function realpathSafe(p) {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** --nodedir for headers installed next to this node (e.g. /usr/include/node), if any. */
export function nodedirArgs() {
  if (process.env.npm_config_nodedir) return []; // node-gyp reads it itself
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, "include", "node", "node_api.h")) ? [`--nodedir=${prefix}`] : [];
}
