/**
 * The claims registry: one file per claim of the research note, listed here and nowhere
 * else, in the note's order. `ftledger reproduce NAME` takes a slug or a number.
 */
import type { Claim } from "../claim.js";
import { eft } from "./01-eft.js";
import { imitation } from "./02-imitation.js";
import { infogain } from "./03-infogain.js";
import { feasibility } from "./04-feasibility.js";
import { faithfulness } from "./05-faithfulness.js";
import { formatCollapse } from "./06-format-collapse.js";
import { nearNeighbour } from "./07-near-neighbour.js";
import { preferenceDiversity } from "./08-preference-diversity.js";
import { cpiFt } from "./09-cpi-ft.js";
import { softcot } from "./10-softcot.js";
import { selfImprove } from "./11-self-improve.js";

export const CLAIMS: readonly Claim[] = [
  eft, imitation, infogain, feasibility, faithfulness, formatCollapse, nearNeighbour, preferenceDiversity, cpiFt, softcot, selfImprove,
] satisfies Claim[];

export type ClaimLookup = { ok: true; value: Claim[] } | { ok: false; error: string };

/** The claims named by slug or number (all of them for none), or an error listing the valid names. */
export function findClaims(names: readonly string[]): ClaimLookup {
  if (names.length === 0) return { ok: true, value: [...CLAIMS] };
  const out: Claim[] = [];
  for (const name of names) {
    const c = CLAIMS.find((x) => x.slug === name || String(x.id) === name);
    if (!c) return { ok: false, error: `unknown claim "${name}"; the claims are: ${CLAIMS.map((x) => `${x.id} ${x.slug}`).join(", ")}. Name them by number or name.` };
    if (!out.includes(c)) out.push(c);
  }
  return { ok: true, value: out.sort((a, b) => a.id - b.id) };
}
