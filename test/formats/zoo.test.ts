/** `zoo/NAME` names the package's zoo from any working directory; other paths pass through. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ZOO_DIR, resolveZooPath } from "../../src/formats/index.js";

const home = process.cwd();
afterEach(() => process.chdir(home));

describe("resolveZooPath", () => {
  it("finds the package's zoo from another folder, and prefers a local path that exists", async () => {
    process.chdir(await mkdtemp(join(tmpdir(), "ftledger-zoo-")));
    expect(resolveZooPath("zoo/recipes")).toBe(join(ZOO_DIR, "recipes"));
    expect(resolveZooPath("./zoo/recipes")).toBe(join(ZOO_DIR, "recipes"));
    process.chdir(home);
    expect(resolveZooPath("zoo/recipes")).toBe("zoo/recipes");
  });

  it("leaves paths it cannot resolve unchanged, so the caller's error names what was given", () => {
    expect(resolveZooPath("zoo/no-such-model")).toBe("zoo/no-such-model");
    expect(resolveZooPath("runs/x")).toBe("runs/x");
  });
});
