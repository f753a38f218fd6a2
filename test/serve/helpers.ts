/** A fake LanguageModel for the server's guard and queue tests: it records what reaches it. */
import type { GenerateRequest, LanguageModel } from "../../src/backends/index.js";

export interface FakeModel extends LanguageModel {
  /** Prompts that reached generate, in order. */
  readonly prompts: string[];
  /** Texts the vocabulary was asked to tokenize. */
  readonly tokenized: string[];
  /** Let every generate call waiting on `hold` finish. */
  open(): void;
}

/**
 * `contextLength` and a vocabulary whose longest token spells 5 bytes ("<tok>") make the
 * server's context bound 5 × contextLength bytes. With `hold`, generate waits until open().
 */
export function fakeModel(o: { contextLength?: number; vocab?: boolean; hold?: boolean } = {}): FakeModel {
  const prompts: string[] = [];
  const tokenized: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  if (!o.hold) release();
  const pieces = ["a", "b", "<tok>"];
  return {
    id: "test:fake",
    prompts,
    tokenized,
    open: () => release(),
    contextLength: o.contextLength,
    vocab: o.vocab === false ? undefined : {
      size: pieces.length,
      encode: (t) => (tokenized.push(t), []),
      encodePrompt: (t) => (tokenized.push(t), []),
      decode: () => "",
      tokenText: (id) => pieces[id],
    },
    async generate(req: GenerateRequest) {
      prompts.push(req.prompt ?? req.messages!.map((m) => m.content).join(""));
      await gate;
      return { samples: [{ text: "ok", finishReason: "stop" as const }] };
    },
    generateBatch: async () => [],
    score: async () => ({ logprob: 0, isGreedy: true, tokens: [] }),
    scoreBatch: async () => [],
    close: async () => {},
  };
}

/** A JSON POST as a browser-less client sends it to `app.fetch`. */
export function post(path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Request {
  return new Request(`http://127.0.0.1:8000${path}`, {
    method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body), signal,
  });
}

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}
