/** `ftledger lora merge` and `ftledger export gguf --lora` on the command line: outputs, exit codes, messages. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpoint, openGguf, writePeftAdapter } from "../../src/formats/index.js";
import { viewParameters } from "../../src/model/index.js";
import { mergeLora } from "../../src/weights/index.js";
import { randomAdapter } from "../formats/lora-fixtures.js";
import { saveModel, seededParams, TINY } from "../weights/models.js";
import { ftledger } from "./run-cli.js";

const dir = await mkdtemp(join(tmpdir(), "ftledger-lora-cli-"));
const params = seededParams(TINY, 4);
const base = await saveModel(join(dir, "base"), params);
const adapter = randomAdapter(TINY, { seed: 6, r: 2, alpha: 4, targets: ["q_proj", "v_proj", "gate_proj"] });
const adapterDir = join(dir, "adapter");
await writePeftAdapter(adapterDir, adapter, { baseModel: base });

describe("ftledger lora merge", () => {
  it("writes base + s·(alpha/r)·B A as a model folder and says how to audit it", async () => {
    const out = join(dir, "merged");
    const r = ftledger("lora", "merge", base, adapterDir, "--out", out, "--scale", "0.5", "--quiet");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*merged \(6 weights \+ 0\.5·\(4\/2\)·B A: model\.safetensors\)/);
    expect(r.stdout).toMatch(/audit it: ftledger audit --base builtin:.*base --tuned builtin:.*merged/);
    const want = params.slice();
    mergeLora(viewParameters(TINY, want).byName, adapter, 0.5);
    const back = await loadCheckpoint(out);
    expect(back.ok && back.value.params).toEqual(want);
  });

  it("exits 2 naming the adapter file and field it cannot apply", async () => {
    const bad = join(dir, "dora");
    await writePeftAdapter(bad, adapter, { baseModel: base });
    await writeFile(join(bad, "adapter_config.json"), JSON.stringify({ peft_type: "LORA", r: 2, lora_alpha: 4, target_modules: ["q_proj"], use_dora: true }));
    const r = ftledger("lora", "merge", base, bad, "--out", join(dir, "never"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ftledger lora merge: .*dora\/adapter_config\.json: use_dora is true: DoRA \(weight-decomposed LoRA\) is not supported\. ftledger applies plain LoRA only/);
  });

  it("shows an example in --help", () => {
    const r = ftledger("lora", "merge", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ftledger lora merge zoo\/base-s .*--out/);
    expect(r.stdout).toMatch(/--scale <s>/);
  });
});

describe("ftledger export gguf --lora", () => {
  it("writes a GGUF LoRA adapter, finding the base through the adapter's config", async () => {
    const out = join(dir, "lora.gguf");
    const r = ftledger("export", "gguf", "--lora", adapterDir, out);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote .*lora\.gguf \(LoRA adapter, 12 tensors, f32; base .*base\)/);
    const g = await openGguf(out);
    expect(g.ok && g.value.kv.get("general.type")?.value).toBe("adapter");
    if (g.ok) await g.value.close();
  });

  it("refuses --base without --lora", () => {
    const r = ftledger("export", "gguf", base, join(dir, "x.gguf"), "--base", base);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--base goes with --lora/);
  });
});
