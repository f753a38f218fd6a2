/**
 * Several LoRA adapters over one base in one audit: `--base builtin:zoo/base-m --tuned
 * builtin:zoo/base-m+lora:A1 --tuned …+lora:A2 --tuned …+lora:A3` loads zoo/base-m once
 * (src/backends/builtin/shared-base.ts), the ledger has every adapter arm, and each arm's
 * rows are those of an audit of that adapter alone.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sharedBaseStats } from "../../src/backends/index.js";
import { auditCommand, validateAuditConfig } from "../../src/cli/commands/audit.js";
import type { AuditResult } from "../../src/audit/index.js";
import { loadModelConfig, writePeftAdapter } from "../../src/formats/index.js";
import { randomAdapter } from "../formats/lora-fixtures.js";
import { tempDir } from "../formats/helpers.js";

const dir = await tempDir("audit-adapters");
const cfg = await loadModelConfig("zoo/base-m");
if (!cfg.ok) throw new Error("zoo/base-m has no readable config");
const adapters: string[] = [];
for (const seed of [71, 72, 73]) {
  const a = join(dir, `A${seed}`);
  await writePeftAdapter(a, randomAdapter(cfg.value, { seed, r: 2, alpha: 4, std: 0.03, targets: ["q_proj", "v_proj"] }), { baseModel: "zoo/base-m" });
  adapters.push(a);
}
const tunedSpecs = adapters.map((a) => `builtin:zoo/base-m+lora:${a}`);

/** Audit zoo/base-m against `tuned` in-process; the result as the CLI computed it. */
async function run(tuned: string[], store: string): Promise<AuditResult> {
  const c = validateAuditConfig({
    base: "builtin:zoo/base-m", tuned, probes: ["knowledge.retention"], suite: ["knowledge"], n: 4, "tuned-format": "raw", store, preflight: false,
  }, "test");
  if (!c.ok) throw new Error(c.error);
  let result: AuditResult | undefined;
  const code = await auditCommand(c.value, { json: false, quiet: true, print: false, onResult: async (r) => void (result = r.result) });
  expect(code).toBe(0);
  return result!;
}

const rowsOf = (r: AuditResult, i: number) => r.json.ledgers[i].rows.map((x) => [x.probe, x.metric, x.n, x.tuned, x.base]);

describe("an audit of several adapters over one base", () => {
  it("loads the base once, shows every arm, and each arm's rows equal an audit of it alone", async () => {
    const before = sharedBaseStats().loads;
    const all = await run(tunedSpecs, join(dir, "all"));
    expect(sharedBaseStats().loads - before).toBe(1);
    expect(all.json.ledgers.map((l) => l.spec)).toEqual(tunedSpecs);
    expect(new Set(all.json.ledgers.map((l) => l.model_id)).size).toBe(3);
    expect(Object.keys(all.json.calls)).toEqual(["base", "tuned1", "tuned2", "tuned3"]);
    for (const [i, spec] of tunedSpecs.entries()) {
      const alone = await run([spec], join(dir, `alone-${i}`));
      expect(rowsOf(all, i)).toEqual(rowsOf(alone, 0));
      expect(all.json.ledgers[i].model_id).toBe(alone.json.ledgers[0].model_id);
    }
  }, 60_000);
});
