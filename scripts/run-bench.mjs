// Runs a TypeScript benchmark through tsx (no build step needed).
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const tsx = require.resolve("tsx/cli");
const r = spawnSync(process.execPath, [tsx, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 1);
