/** `eft:` specs on the command line: an audit over β (a trajectory) and bad specs. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { saveDamagedCopy } from "../helpers/damaged-model.js";
import { ftledger } from "./run-cli.js";

const dir = await mkdtemp(join(tmpdir(), "ftledger-eft-cli-"));
const tuned = await saveDamagedCopy("base-s", join(dir, "damaged"), { scale: 0.3, seed: 9 });
const eft = `eft:base=builtin:zoo/base-s,tuned=builtin:${tuned},ref=builtin:zoo/base-s,beta=1`;

describe("ftledger audit --tuned eft:…", () => {
  it("audits the composition at each --beta; β = 0 is the base itself", () => {
    const r = ftledger("audit", "--base", "builtin:zoo/base-s", "--tuned", eft, "--beta", "0,1", "--probes", "task.accuracy", "--suite", "arithmetic",
      "--split", "id", "--n", "8", "--tuned-format", "raw", "--no-same-format", "--store", join(dir, "store"), "--json", "--quiet");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ledgers.map((l: { spec: string }) => l.spec)).toEqual([eft.replace("beta=1", "beta=0"), eft]);
    const zero = j.ledgers[0].rows.find((x: { probe: string }) => x.probe === "task.accuracy");
    expect(zero.delta).toBe(0);
    expect(zero.transitions.gained + zero.transitions.lost).toBe(0);
  });

  it("refuses --beta without an eft: tuned model, and a malformed spec", () => {
    const a = ftledger("audit", "--base", "builtin:zoo/base-s", "--tuned", "builtin:zoo/base-s", "--beta", "0,1");
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--beta applies to eft: tuned models; builtin:zoo\/base-s is not one/);
    const b = ftledger("audit", "--base", "builtin:zoo/base-s", "--tuned", "eft:base=builtin:zoo/base-s,tuned=builtin:zoo/base-s", "--n", "2");
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/ref= is missing; write eft:base=SPEC,tuned=SPEC,ref=SPEC\[,beta=1\]/);
  });
});
