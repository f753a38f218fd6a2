import { describe, expect, it } from "vitest";
import { BackendError, createOpenAIModel, parseOpenAISpec } from "../../../src/backends/openai/index.js";

describe("parseOpenAISpec", () => {
  it("reads one endpoint and a model name", () => {
    const r = parseOpenAISpec("openai:http://127.0.0.1:8000/v1#org/model-7b");
    expect(r).toEqual({ ok: true, value: { endpoints: ["http://127.0.0.1:8000/v1"], model: "org/model-7b" } });
  });

  it("reads several endpoints and drops trailing slashes", () => {
    const r = parseOpenAISpec("openai:http://a:1/v1/,https://b/v1#m");
    expect(r.ok && r.value.endpoints).toEqual(["http://a:1/v1", "https://b/v1"]);
  });

  it.each([
    ["gguf:./x.gguf", "does not start with openai:"],
    ["openai:http://127.0.0.1:8000/v1", "model name is missing"],
    ["openai:http://127.0.0.1:8000/v1#", "after # is empty"],
    ["openai:http://127.0.0.1:8000#m", "must end in /v1"],
    ["openai:not a url#m", "is not a URL"],
    ["openai:ftp://h/v1#m", "http:// or https://"],
    ["openai:http://user:secret@h/v1#m", "credentials in the URL"],
    ["openai:http://a/v1,#m", "endpoint URL is empty"],
  ])("%s is refused: %s", (spec, why) => {
    const r = parseOpenAISpec(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe("bad_spec");
      expect(r.error.message).toContain(why);
      expect(r.error.message).not.toContain("secret");
    }
  });

  it("createOpenAIModel rejects bad options with a BackendError that says what to do", async () => {
    const err = await createOpenAIModel({ endpoints: ["http://127.0.0.1:1/v1"], model: "m", concurrency: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).code).toBe("bad_spec");
    expect((err as BackendError).message).toMatch(/concurrency must be an integer ≥ 1.*openai:http/);
    const err2 = await createOpenAIModel({ endpoints: ["http://127.0.0.1:1/v1"], model: "m", apiKeyEnv: "sk-live-123" }).catch((e: unknown) => e);
    expect((err2 as BackendError).message).toContain("NAME of an environment variable");
    expect((err2 as BackendError).message).not.toContain("sk-live-123");
  });
});
