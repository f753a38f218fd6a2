/**
 * Open any model spec, composed ones included: `eft:…` opens its three parts through the
 * backends and checks their vocabularies before any request; every other spec goes to the
 * backends as it is.
 */
import { openModel, SPEC_FORMS, SpecError, type LanguageModel, type OpenModelOptions } from "../backends/index.js";
import { vocabularyDifference } from "./compatible.js";
import { EftModel } from "./eft.js";
import { EftTopKModel } from "./eft-topk.js";
import { EFT_FORM, isEftSpec, parseEftSpec } from "./spec.js";

export const MODEL_SPEC_FORMS = `${SPEC_FORMS}, ${EFT_FORM}`;

/** `opts` reaches every part of a composed spec (an eft: over openai: servers uses the same connection settings). */
export async function openAnyModel(spec: string, opts: OpenModelOptions = {}): Promise<LanguageModel> {
  if (!isEftSpec(spec)) return openModel(spec, opts);
  const parsed = parseEftSpec(spec);
  if (!parsed.ok) throw new SpecError(parsed.error);
  const s = parsed.value;
  const opened: LanguageModel[] = [];
  try {
    for (const part of [s.base, s.tuned, s.ref]) opened.push(await openModel(part, opts));
  } catch (e) {
    await Promise.all(opened.map((m) => m.close()));
    throw e;
  }
  const [base, tuned, ref] = opened;
  if (opened.every((m) => !m.vocab && m.nextTokenTopK && m.textTopK)) return new EftTopKModel({ base, tuned, ref }, s.beta, s);
  const diff = vocabularyDifference([
    { role: "base", spec: s.base, vocab: base.vocab }, { role: "tuned", spec: s.tuned, vocab: tuned.vocab }, { role: "ref", spec: s.ref, vocab: ref.vocab },
  ]);
  if (diff !== null) {
    await Promise.all(opened.map((m) => m.close()));
    throw new SpecError(`${spec}: cannot compose: ${diff}.`);
  }
  // the output layers must agree too (a padded vocabulary can be wider than the tokenizer)
  const sizes = await Promise.all(opened.map(async (m) => outputSize(m)));
  const parts = [["base", s.base], ["tuned", s.tuned], ["ref", s.ref]] as const;
  const odd = sizes.findIndex((n) => n !== sizes[0]);
  if (odd > 0) {
    await Promise.all(opened.map((m) => m.close()));
    throw new SpecError(`${spec}: cannot compose: ${parts[0][0]} ${parts[0][1]} and ${parts[odd][0]} ${parts[odd][1]} give next-token distributions over ${sizes[0]} and ${sizes[odd]} ids (their output layers differ).`);
  }
  return new EftModel({ base, tuned, ref }, s.beta, s);
}

/** How many ids a model's next-token distribution covers (one short evaluation). */
async function outputSize(m: LanguageModel): Promise<number> {
  const first = m.vocab!.encodePrompt("a");
  if (m.decoder) return (await m.decoder().feed(first)).length;
  const d = await m.nextTokenLogprobs!(first);
  return d.kind === "full" ? d.entries.length : m.vocab!.size;
}
