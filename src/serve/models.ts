/**
 * The models one server answers for, by name: the served model under its name, and
 * LoRA adapters over it each under a name of its own (vLLM's `--lora-modules
 * name=path`: one base in memory, a request's `model` picks the arm). `/v1/models` lists
 * them all, an adapter with `parent` = the base's name (as vLLM lists LoRA modules); a
 * request without `model` gets the base; an unknown name is a 404 naming those served.
 */
import type { LanguageModel } from "../backends/index.js";
import { promptLimit, type PromptLimit } from "./limits.js";

export interface ServedModel {
  readonly name: string;
  readonly model: LanguageModel;
  /** The longest prompt this model takes, in bytes, and why (limits.ts). */
  readonly promptCap: PromptLimit;
  /** The base's name for an adapter; null for the base. */
  readonly parent: string | null;
}

export class ServedModels {
  private readonly byName = new Map<string, ServedModel>();
  readonly base: ServedModel;

  /** `adapters`: further models by name (names must differ from each other and from the base's). */
  constructor(base: { name: string; model: LanguageModel }, adapters: readonly { name: string; model: LanguageModel }[], maxPromptBytes: number) {
    // the cap reads the whole vocabulary: computed once per model, when the server starts
    this.base = { ...base, promptCap: promptLimit(base.model, maxPromptBytes), parent: null };
    this.byName.set(base.name, this.base);
    for (const a of adapters) {
      if (this.byName.has(a.name)) throw new Error(`the model name "${a.name}" is given twice; give each --lora-modules entry a name of its own, other than the base's ("${base.name}")`);
      this.byName.set(a.name, { ...a, promptCap: promptLimit(a.model, maxPromptBytes), parent: base.name });
    }
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** The model a request names (the base when it names none), or the 404's message. */
  pick(requested: string | undefined): ServedModel | { error: string } {
    if (requested === undefined) return this.base;
    const m = this.byName.get(requested);
    if (m) return m;
    return { error: `model "${requested}" is not served here; this server serves ${this.names.map((n) => `"${n}"`).join(", ")}` };
  }

  /** `/v1/models`' data: every name, with the model's id as `root`. */
  list(created: number): object[] {
    return [...this.byName.values()].map((m) => ({
      id: m.name, object: "model", created, owned_by: "ftledger", root: m.model.id, ...(m.parent !== null ? { parent: m.parent } : {}),
    }));
  }
}
