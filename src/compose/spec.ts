/**
 * The `eft:` model spec: `eft:base=SPEC,tuned=SPEC,ref=SPEC,beta=B` (beta default 1). Each part
 * is any model spec (builtin:, gguf:, openai:); a part may itself contain commas (openai
 * replicas), so the spec is split only before the four key names.
 */
export interface EftSpec {
  base: string;
  tuned: string;
  ref: string;
  beta: number;
}

export const EFT_FORM = "eft:base=SPEC,tuned=SPEC,ref=SPEC[,beta=1]";

const KEYS = ["base", "tuned", "ref", "beta"] as const;

export function isEftSpec(spec: string): boolean {
  return spec.startsWith("eft:");
}

export function parseEftSpec(spec: string): { ok: true; value: EftSpec } | { ok: false; error: string } {
  if (!isEftSpec(spec)) return { ok: false, error: `"${spec}" is not an eft spec; write ${EFT_FORM}` };
  const body = spec.slice(4);
  const parts = body.split(/,(?=(?:base|tuned|ref|beta)=)/);
  const got: Partial<Record<(typeof KEYS)[number], string>> = {};
  for (const part of parts) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq) as (typeof KEYS)[number];
    if (eq <= 0 || !KEYS.includes(key)) return { ok: false, error: `${spec}: "${part}" is not key=value with a key of ${KEYS.join(", ")}; write ${EFT_FORM}` };
    if (got[key] !== undefined) return { ok: false, error: `${spec}: ${key}= is given twice` };
    got[key] = part.slice(eq + 1);
  }
  for (const k of ["base", "tuned", "ref"] as const) {
    if (!got[k]) return { ok: false, error: `${spec}: ${k}= is missing; write ${EFT_FORM}` };
    if (isEftSpec(got[k]!)) return { ok: false, error: `${spec}: ${k}= is itself an eft spec; compose real models` };
  }
  const beta = got.beta === undefined ? 1 : Number(got.beta);
  if (got.beta !== undefined && (got.beta.trim() === "" || !Number.isFinite(beta))) return { ok: false, error: `${spec}: beta=${got.beta} is not a finite number` };
  return { ok: true, value: { base: got.base!, tuned: got.tuned!, ref: got.ref!, beta } };
}

export function eftSpecText(s: EftSpec): string {
  return `eft:base=${s.base},tuned=${s.tuned},ref=${s.ref},beta=${s.beta}`;
}
