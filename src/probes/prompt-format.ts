/**
 * How an item's prompt reaches a model (recorded per model in the run's manifest):
 *
 *   raw              the prompt text as is (base models, the lab's pre-training frame)
 *   chat             one user message through the model's own chat template, ending with
 *                    the assistant turn's opening (tuned models)
 *   template:TEXT    TEXT with {prompt} replaced (few-shot prompts, a server's template)
 *
 * Every probe sends the rendered text as a plain prompt, so a chain of thought can be
 * truncated and continued (early answering, InfoGain) the same way in every format.
 */
import type { LanguageModel } from "../backends/index.js";

export type PromptFormat = { kind: "raw" } | { kind: "chat" } | { kind: "template"; template: string };

export type Render = (prompt: string) => string;

/** "raw" | "chat" | "template:…{prompt}…"; an error message otherwise. */
export function parsePromptFormat(text: string): { ok: true; value: PromptFormat } | { ok: false; error: string } {
  if (text === "raw" || text === "chat") return { ok: true, value: { kind: text } };
  if (text.startsWith("template:")) {
    const template = text.slice("template:".length).replace(/\\n/g, "\n");
    if (!template.includes("{prompt}")) return { ok: false, error: `prompt format "${text}": a template must contain {prompt}` };
    return { ok: true, value: { kind: "template", template } };
  }
  return { ok: false, error: `prompt format "${text}" is not one of raw, chat, template:TEXT-with-{prompt}` };
}

export function promptFormatName(f: PromptFormat): string {
  return f.kind === "template" ? `template:${f.template.replace(/\n/g, "\\n")}` : f.kind;
}

/** The renderer of `format` for `model`; throws a user-facing Error when the model has no chat template. */
export function renderer(model: LanguageModel, format: PromptFormat): Render {
  switch (format.kind) {
    case "raw":
      return (p) => p;
    case "template":
      return (p) => format.template.split("{prompt}").join(p);
    case "chat": {
      const chat = model.chatPrompt?.bind(model);
      if (!chat) {
        throw new Error(`${model.id}: this backend cannot render its chat template to text; give the format as template:TEXT with {prompt} (e.g. the server's template), or use raw.`);
      }
      return (p) => chat([{ role: "user", content: p }]);
    }
  }
}
