/** A run's manifest records the code: package version and, in a git checkout, HEAD's commit. */
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { codeVersion, recipes, runLab, type Recipe } from "../../src/train/index.js";

const A = "a".repeat(40);
const B = "b".repeat(40);

async function fakePackage(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ftledger-code-"));
  await writeFile(join(root, "package.json"), JSON.stringify({ name: "pkg", version: "1.2.3" }));
  return root;
}

describe("codeVersion", () => {
  it("reads the version, and the commit from a loose ref, a packed ref or a detached HEAD", async () => {
    const root = await fakePackage();
    expect(codeVersion(root)).toEqual({ package: "pkg", version: "1.2.3" });
    await mkdir(join(root, ".git", "refs", "heads"), { recursive: true });
    await writeFile(join(root, ".git", "HEAD"), "ref: refs/heads/main\n");
    await writeFile(join(root, ".git", "packed-refs"), `# pack-refs\n${B} refs/heads/main\n`);
    expect(codeVersion(root).commit).toBe(B);
    await writeFile(join(root, ".git", "refs", "heads", "main"), `${A}\n`);
    expect(codeVersion(root).commit).toBe(A);
    await writeFile(join(root, ".git", "HEAD"), `${B}\n`);
    expect(codeVersion(root).commit).toBe(B);
  });

  it("is written into every run's run.json", async () => {
    const tiny: Recipe = { ...recipes.toy, defaults: { ...recipes.toy.defaults, batchSize: 2 }, model: (tok) => ({ ...recipes.toy.model(tok), dim: 16, ffnDim: 32, nLayers: 1, contextLength: 16 }) };
    const dir = join(await mkdtemp(join(tmpdir(), "ftledger-code-run-")), "run");
    const r = await runLab({ recipe: tiny, dir, kernels: createTsKernels(), seed: 1, steps: 1 });
    expect(r.ok).toBe(true);
    const manifest = JSON.parse(await readFile(join(dir, "run.json"), "utf8"));
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, "..", "..", "package.json"), "utf8"));
    expect(manifest.code).toEqual(codeVersion());
    expect(manifest.code.version).toBe(pkg.version);
  });
});
