#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli (built by `npm run build`, which `npm ci` runs via `prepare`).
import("../dist/cli/main.js").then(
  (cli) => cli.main(process.argv),
  (err) => {
    if (err && err.code === "ERR_MODULE_NOT_FOUND") {
      process.stderr.write("ftledger: the compiled CLI is missing (dist/cli/main.js). Run `npm run build` in the package folder, then try again.\n");
      process.exit(2);
    }
    throw err;
  },
);
