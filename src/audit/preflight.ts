/**
 * The pre-flight: checks on the model pair that run before any probe, for the setups that
 * make an evaluation report a gain or a loss that is not there (each seen in practice: a
 * LoRA adapter scored identically to its base because it was never applied; a doubled BOS
 * token that cost a base model points and doubled a paper's "gain"; a server that returned
 * no prompt log-probs, so every likelihood task scored at chance).
 *
 *   same_weights           tuned has the base's content id: every difference is noise  (warn)
 *   no_op                  tuned computes the base's next-token distributions on the
 *                          probe prompts (max |Δ log p| ≤ 1e-6): an adapter or fine-tune
 *                          that changes nothing                                       (warn)
 *   tokenization_differs   the two tokenise a probe prompt differently: per-token
 *                          comparisons (drift, KL) do not line up                     (warn)
 *   bos_doubled            a rendered prompt starts with two BOS tokens                (warn)
 *   bos_one_side           one model's prompts start with BOS and the other's do not  (warn)
 *   no_prompt_logprobs     the backend cannot score a prompt (a server that returns no
 *                          prompt log-probs): likelihood probes would be meaningless  (refuse)
 *   device_differs         one model runs on a GPU and the other on the CPU (or another
 *                          GPU type): kernels that round differently (device.ts)      (warn)
 *
 * A "refuse" stops the audit before any work (exit 2 in the CLI); warnings go into the
 * ledger's header and the JSON (`preflight`). A missing chat template for a chat frame is
 * refused earlier, where the prompt formats are parsed.
 */
import type { LanguageModel } from "../backends/index.js";
import { renderer, type Item } from "../probes/index.js";
import type { AuditModel } from "./runner.js";
import { deviceKind } from "./device.js";

export type PreflightCode = "same_weights" | "no_op" | "tokenization_differs" | "bos_doubled" | "bos_one_side" | "no_prompt_logprobs" | "device_differs";

export interface PreflightFinding {
  code: PreflightCode;
  severity: "warn" | "refuse";
  /** The model spec the finding is about (a tuned arm's, or the base's). */
  model: string;
  message: string;
}

/** Probe prompts the checks use (the first few items'): enough to see a pattern, cheap to score. */
const PROMPTS = 4;
/** Largest |Δ log p| at which two models count as computing the same distributions. */
const SAME_LOGPROB = 1e-6;

/** Every finding for the pair; never throws for a model's own failure (that is what the audit reports). */
export async function preflight(base: AuditModel, tuned: readonly AuditModel[], items: readonly Item[]): Promise<PreflightFinding[]> {
  const prompts = items.slice(0, PROMPTS).map((it) => it.prompt);
  const out: PreflightFinding[] = [];
  for (const m of [base, ...tuned]) {
    const f = await promptLogprobs(m);
    if (f) out.push(f);
    out.push(...bosFindings(m, prompts));
  }
  for (const t of tuned) {
    const device = deviceFinding(base, t);
    if (device) out.push(device);
    if (t.model.id === base.model.id) {
      out.push({
        code: "same_weights", severity: "warn", model: t.spec,
        message: `${t.spec} has the base's content id (${base.model.id}): the same weights, tokenizer and chat template. Every difference in this ledger is noise; if you meant to audit a fine-tune, check the path or that the adapter was saved.`,
      });
      continue;
    }
    out.push(...tokenizationFindings(base, t, prompts));
    const noop = await noOpFinding(base, t, prompts);
    if (noop) out.push(noop);
  }
  return out;
}

/** An audit stopped by the pre-flight: its refusals (and any warnings). */
export class PreflightRefusal extends Error {
  readonly code = "preflight_refused";
  constructor(readonly findings: readonly PreflightFinding[]) {
    super(formatPreflight(findings.filter((f) => f.severity === "refuse")));
  }
}

/** The text of the checks' findings, for the ledger's header (warnings) or an error (refusals). */
export function formatPreflight(findings: readonly PreflightFinding[]): string {
  return findings.map((f) => `pre-flight ${f.severity === "refuse" ? "refused" : "warning"} (${f.code}): ${f.message}`).join("\n");
}

function render(m: AuditModel, prompt: string): string | null {
  try {
    return renderer(m.model, m.format)(prompt);
  } catch {
    return null; // a format the model cannot render is refused where formats are parsed
  }
}

/** Score one short continuation: a backend that cannot (no prompt log-probs) is refused. */
async function promptLogprobs(m: AuditModel): Promise<PreflightFinding | null> {
  try {
    await m.model.score({ prompt: "The", continuation: " end" });
    return null;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code !== "no_prompt_logprobs") return null; // other failures (a context, a network) surface in the audit itself
    return {
      code: "no_prompt_logprobs", severity: "refuse", model: m.spec,
      message: `${m.spec} cannot score a prompt: ${err.message ?? String(e)} Likelihood probes would score at chance; serve the model with prompt log-probs (vLLM's prompt_logprobs, or echo with logprobs), or audit it through another backend.`,
    };
  }
}

function bosFindings(m: AuditModel, prompts: readonly string[]): PreflightFinding[] {
  const vocab = m.model.vocab;
  const bos = vocab?.bosId;
  if (!vocab || bos === undefined) return [];
  for (const p of prompts) {
    const text = render(m, p);
    if (text === null) continue;
    const ids = vocab.encodePrompt(text);
    if (ids[0] === bos && ids[1] === bos) {
      return [{
        code: "bos_doubled", severity: "warn", model: m.spec,
        message: `${m.spec} starts its prompts with two BOS tokens (${vocab.tokenText(bos)} ${vocab.tokenText(bos)}): the prompt format already holds one and the tokenizer adds another. A doubled BOS is known to cost points; give this model a prompt format without the BOS text (--base-format / --tuned-format raw, or a template:… without it).`,
      }];
    }
  }
  return [];
}

function startsWithBos(model: LanguageModel, ids: readonly number[]): boolean {
  const bos = model.vocab?.bosId;
  return bos !== undefined && ids[0] === bos;
}

function tokenizationFindings(base: AuditModel, tuned: AuditModel, prompts: readonly string[]): PreflightFinding[] {
  const bv = base.model.vocab;
  const tv = tuned.model.vocab;
  if (!bv || !tv) return [];
  const out: PreflightFinding[] = [];
  let differ = 0;
  let first = "";
  let bosSide: string | null = null;
  for (const p of prompts) {
    // the same raw text through both tokenizers (formats may differ on purpose)
    const a = bv.encodePrompt(p);
    const b = tv.encodePrompt(p);
    const ba = startsWithBos(base.model, a);
    const bb = startsWithBos(tuned.model, b);
    if (ba !== bb && bosSide === null) bosSide = ba ? `the base adds a BOS (${bv.tokenText(a[0])}) and ${tuned.spec} does not` : `${tuned.spec} adds a BOS (${tv.tokenText(b[0])}) and the base does not`;
    const sa = ba ? a.slice(1) : a;
    const sb = bb ? b.slice(1) : b;
    if (sa.length !== sb.length || sa.some((x, i) => x !== sb[i])) {
      differ++;
      if (!first) first = `"${p.slice(0, 40)}${p.length > 40 ? "…" : ""}" is ${sa.length} tokens for the base and ${sb.length} for ${tuned.spec}`;
    }
  }
  if (bosSide) {
    out.push({
      code: "bos_one_side", severity: "warn", model: tuned.spec,
      message: `${bosSide}: the two models see differently framed prompts, which alone can move scores. Use the same tokenizer settings for both (gguf: the same add-BOS setting; a server: the same template).`,
    });
  }
  if (differ > 0) {
    out.push({
      code: "tokenization_differs", severity: "warn", model: tuned.spec,
      message: `the base and ${tuned.spec} tokenise ${differ} of ${prompts.length} probe prompts differently (${first}). Sequence scores still compare; per-token rows (drift, KL) do not line up. Check that both use the same tokenizer.`,
    });
  }
  return out;
}

/** Both models' log-probs of each probe prompt's tokens, compared; null when they differ, or cannot be compared here. */
async function noOpFinding(base: AuditModel, tuned: AuditModel, prompts: readonly string[]): Promise<PreflightFinding | null> {
  let worst = 0;
  let compared = 0;
  for (const p of prompts) {
    const text = render(base, p);
    if (text === null || text.length < 2) continue;
    // the same text, split after its first character: every later token is scored
    const req = { prompt: text.slice(0, 1), continuation: text.slice(1) };
    let a;
    let b;
    try {
      [a, b] = await Promise.all([base.model.score(req), tuned.model.score(req)]);
    } catch {
      return null; // a scoring failure is the audit's to report
    }
    if (a.tokens.length !== b.tokens.length || a.tokens.length === 0) return null;
    for (let i = 0; i < a.tokens.length; i++) worst = Math.max(worst, Math.abs(a.tokens[i].logprob - b.tokens[i].logprob));
    compared += a.tokens.length;
    if (worst > SAME_LOGPROB) return null;
  }
  if (compared === 0) return null;
  return {
    code: "no_op", severity: "warn", model: tuned.spec,
    message: `${tuned.spec} gives the base's log-probabilities on ${compared} tokens of ${prompts.length} probe prompts (max |Δ log p| = ${worst.toExponential(1)}), though its content id differs: the fine-tune changes nothing these prompts can see. An adapter that was not applied, or a scale of 0, looks like this.`,
  };
}

/**
 * The pre-flight's `device_differs`: one model on a GPU, the other on the CPU or another
 * GPU type. Their kernels round differently, so a small change in a likelihood metric can be
 * the device's, not the fine-tune's. Not for a server (where it runs is not known here) nor
 * for two CPU backends (the engine and llama.cpp on the CPU agree to ~1e-5: `ftledger check`).
 */
export function deviceFinding(base: AuditModel, tuned: AuditModel): PreflightFinding | null {
  const [b, t] = [base, tuned].map((m) => m.device ?? m.model.device);
  const [kb, kt] = [deviceKind(b), deviceKind(t)];
  if (kb === null || kt === null || kb === kt || kb === "remote" || kt === "remote") return null;
  return {
    code: "device_differs", severity: "warn", model: tuned.spec,
    message: `${tuned.spec} runs on ${t} but the base on ${b}: their kernels round differently, so a small change in a likelihood metric can be the device's, not the fine-tune's. Run both on one device (--gpu off puts gguf: models on the CPU).`,
  };
}
