/** parseYamlText: YAML configs parsed strictly — the yaml package's warnings are errors with their line. */
import { describe, expect, it } from "vitest";
import { parseYamlText } from "../../src/formats/index.js";

describe("parseYamlText", () => {
  it("parses a mapping", () => {
    expect(parseYamlText("merge_method: linear\nmodels:\n  - model: a\n")).toEqual({ ok: true, value: { merge_method: "linear", models: [{ model: "a" }] } });
  });

  it("a syntax error names its line", () => {
    const r = parseYamlText("a: 1\nb: [\n");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.line).toBeGreaterThanOrEqual(2);
  });

  it("what the package only warns about is an error with its line, and nothing reaches stderr", () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      expect(parseYamlText("a: 1\nb: !!aa x\n")).toMatchObject({ ok: false, line: 2, message: expect.stringMatching(/tag/i) });
      expect(parseYamlText("%FOO bar\n---\na: 1\n")).toMatchObject({ ok: false, line: 1 });
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it("an alias bomb (aliases of aliases, 10⁹ nodes) is an error, not a hang", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ..."bcdefghi".split("").map((k, i) => `${k}: &${k} [${Array(10).fill(`*${"abcdefghi"[i]}`).join(", ")}]`)].join("\n");
    expect(parseYamlText(bomb).ok).toBe(false);
  });
});
