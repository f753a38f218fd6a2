/**
 * Structure and behaviour of samples, for syntactic and semantic diversity (Shypula et
 * al. 2025, arXiv 2504.12522; docs/PROBES.md §3). Exact, from the world's grammars,
 * never by substring:
 *
 *   task         syntactic shape (every sample)               semantic signature
 *   programs     AST shape, leaves abstracted (ast.ts)          outputs on the grid {0..D}², D = the
 *                                                               highest degree bound among the samples
 *                                                               (exact: run.ts's identity lemma)
 *   arithmetic   solution format + number of steps             the step sequence, format ignored,
 *                                                               operands of + and * in order
 *   stories      the production (template) of every sentence   none defined
 *
 * A sample that does not parse has the shape "(no parse)" (one class). Other domains
 * (knowledge, structured, user datasets) have neither; the probe records null with why.
 * NOTE: programs' signatures are taken over the samples that PARSE, not the correct
 * ones: programs are verified by semantic equivalence, so every correct program has the
 * target's behaviour and "distinct behaviours among correct samples" would be 1/n_valid
 * by construction. A parsed program always runs (the language has no runtime errors),
 * which is Shypula et al.'s notion of a valid program.
 */
import { arithmetic, programs, stories } from "../world/index.js";
import type { Item } from "./item.js";

export const NO_PARSE = "(no parse)";

/** Which samples semantic diversity is taken over. */
export type SemanticPopulation = "correct" | "well-formed";

export interface Structure {
  /** Why the domain has no syntactic shape (then `shapes` is undefined). */
  syntacticNote?: string;
  /** One structural shape per sample. */
  shapes?: string[];
  /** Why the domain has no semantic equivalence (then `signatures` is undefined). */
  semanticNote?: string;
  population?: SemanticPopulation;
  /**
   * One behaviour signature per sample, or null for a sample outside the population:
   * for "correct" the probe also drops incorrect samples.
   */
  signatures?: (string | null)[];
}

const ANSWER_LINE = /^Answer: (0|[1-9][0-9]*)$/;

/** The response's lines through the first `Answer: N` line, trailing spaces dropped: what the arithmetic verifier reads. */
function arithmeticChain(response: string): string {
  const lines = response.split("\n").map((l) => l.replace(/[ \t\r]+$/, ""));
  const at = lines.findIndex((l) => ANSWER_LINE.test(l));
  return (at < 0 ? lines : lines.slice(0, at + 1)).join("\n");
}

function arithmeticStructure(samples: readonly string[]): Structure {
  const shapes: string[] = [];
  const signatures: string[] = [];
  for (const s of samples) {
    const chain = arithmeticChain(s);
    const format = arithmetic.solutionFormatOf(chain);
    if (format === "answer-only") {
      shapes.push("answer-only/0");
      signatures.push("");
    } else if (format === "unknown") {
      shapes.push(NO_PARSE);
      // NOTE: no steps to compare; such a sample is its own behaviour unless the text repeats.
      signatures.push(`${NO_PARSE}:${chain}`);
    } else {
      const parsed = arithmetic.parseSteps(format, chain);
      if (!parsed.ok) throw new Error(`arithmetic: solutionFormatOf said ${format} but parseSteps failed on ${JSON.stringify(chain)}`);
      const steps = parsed.value.steps;
      shapes.push(`${format}/${steps.length}`);
      signatures.push(
        steps.map(({ a, op, b, result }) => {
          const [x, y] = op === "-" || a <= b ? [a, b] : [b, a];
          return `${x}${op}${y}=${result}`;
        }).join(";"),
      );
    }
  }
  return { shapes, population: "correct", signatures };
}

function programsStructure(samples: readonly string[]): Structure & { gridDegree: number } {
  const parsed = samples.map((s) => programs.parseProgram(s));
  const exprs = parsed.map((p) => (p.ok ? p.expr : null));
  const degree = Math.max(1, ...exprs.map((e) => (e ? programs.degreeBound(e) : 0)));
  const grid = programs.gridInputs(degree);
  return {
    shapes: exprs.map((e) => (e ? programs.shapeOf(e) : NO_PARSE)),
    population: "well-formed",
    signatures: exprs.map((e) => (e ? grid.map((x) => programs.run(e, x).toString()).join(",") : null)),
    gridDegree: degree,
  };
}

/** The production of each sentence: m<i> for a middle template, e<j> for the ending; null if one is not in the grammar. */
function storyShape(plot: stories.Plot, text: string): string | null {
  const sentences = stories.splitSentences(text.trim());
  if (!sentences || sentences.length < 2) return null;
  const ids: string[] = [];
  for (const [i, sentence] of sentences.entries()) {
    const last = i === sentences.length - 1;
    const templates = last ? stories.ENDS[plot] : stories.MIDDLES[plot];
    const at = templates.findIndex((t) => stories.matchTemplate(t, sentence) !== null);
    if (at < 0) return null;
    ids.push(`${last ? "e" : "m"}${at}`);
  }
  return ids.join(",");
}

const NO_SEMANTICS = (domain: string) => `no semantic equivalence is defined for ${domain} items`;

/** The structure of an item's samples, by the item's world task. */
export function structureOf(item: Item, samples: readonly string[]): Structure & { gridDegree?: number } {
  switch (item.world?.task) {
    case "arithmetic":
      return arithmeticStructure(samples);
    case "programs":
      return programsStructure(samples);
    case "stories": {
      const opening = stories.openingOf(item.prompt);
      if (!opening) return { syntacticNote: "the prompt is not a story opening", semanticNote: NO_SEMANTICS("story") };
      return {
        shapes: samples.map((s) => storyShape(opening.plot, s) ?? NO_PARSE),
        semanticNote: "no semantic equivalence is defined for stories (distinct well-formed continuations differ in content)",
      };
    }
    default:
      return {
        syntacticNote: `no structural grammar for ${item.world ? `world task ${item.world.task}` : `domain "${item.domain}"`}`,
        semanticNote: NO_SEMANTICS(item.world ? item.world.task : `"${item.domain}"`),
      };
  }
}
