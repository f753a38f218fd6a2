/**
 * `ftledger serve`'s limit and guard flags reach the server: a real child process over
 * zoo/base-s, with --api-key-env and --max-prompts.
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ftledger, ftledgerAsync } from "../cli/run-cli.js";
import { startFakeOpenAIServer } from "../helpers/fake-openai-server.js";

const root = join(import.meta.dirname, "..", "..");

describe("ftledger serve flags", () => {
  it("--api-key-env of an unset variable exits 2 naming it", () => {
    const r = ftledger("serve", "builtin:zoo/base-s", "--port", "0", "--api-key-env", "FTLEDGER_TEST_NO_SUCH_KEY");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--api-key-env FTLEDGER_TEST_NO_SUCH_KEY: that environment variable is not set/);
  });

  it("an openai: model behind serve takes --upstream-… settings, and its errors name those flags", async () => {
    const upstream = await startFakeOpenAIServer({ apiKey: "sk-upstream-0123" });
    try {
      const r = await ftledgerAsync("serve", `openai:${upstream.url}#toy`, "--port", "0", "--upstream-timeout", "5", "--upstream-retries", "0");
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/HTTP 401/);
      expect(r.stderr).toContain("--upstream-api-key-env NAME");
      expect(r.stderr).not.toMatch(/ --api-key-env/);
    } finally {
      await upstream.close();
    }
    const bad = ftledger("serve", "openai:http://127.0.0.1:1/v1#m", "--upstream-api-key-env", "sk-abc 123");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--upstream-api-key-env must be the NAME of an environment variable/);
    expect(bad.stderr).not.toContain("sk-abc 123");
  }, 60_000);

  it("refuses an API key with whitespace, which no Authorization header could match", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src", "cli", "main.ts"), "serve", "builtin:zoo/base-s", "--port", "0", "--api-key-env", "FTLEDGER_TEST_KEY"], {
      cwd: root, env: { ...process.env, FTLEDGER_TEST_KEY: "two words" }, encoding: "utf8", timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the key holds whitespace/);
    expect(r.stderr).not.toContain("two words");
  });

  it("serves with an API key and a prompt cap, never printing the key", async () => {
    const key = "k-" + Math.random().toString(36).slice(2);
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "src", "cli", "main.ts"), "serve", "builtin:zoo/base-s", "--port", "0", "--api-key-env", "FTLEDGER_TEST_KEY", "--max-prompts", "2"], {
      cwd: root, env: { ...process.env, FTLEDGER_TEST_KEY: key },
    });
    let out = "";
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /at (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const completions = (auth: string | null, prompt: string | string[]) => fetch(url + "/completions", {
        method: "POST", headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify({ prompt, max_tokens: 2 }),
      });
      expect((await completions(null, "a")).status).toBe(401);
      expect((await completions(`Bearer ${key}`, "a")).status).toBe(200);
      const many = await completions(`Bearer ${key}`, ["a", "b", "c"]);
      expect(many.status).toBe(400);
      expect(((await many.json()) as { error: { message: string } }).error.message).toMatch(/at most 2 per request \(--max-prompts\)/);
    } finally {
      const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
    expect(out).not.toContain(key);
    expect(out).toContain("$FTLEDGER_TEST_KEY");
  }, 60_000);
});
