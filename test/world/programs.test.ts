/**
 * The programs task: the parser and interpreter follow the grammar, equivalence by
 * execution agrees with an independent polynomial expansion, the verifier accepts any
 * equivalent program and rejects non-equivalent ones, N-1 specs change one element,
 * and everything is seeded.
 */
import { describe, expect, it } from "vitest";
import { createRng, type Rng } from "../../src/random/index.js";
import { CharTokenizer } from "../../src/model/tokenizer.js";
import {
  PROGRAMS_DEFAULTS, canonicalProgram, equivalent, equivalentOn, gridInputs, parseProgram, parseSpecPrompt, printProgram, programsTask, run, shapeOf, specToExpr,
  type Expr, type Spec,
} from "../../src/world/programs/index.js";
import type { Split, WorldItem } from "../../src/world/task.js";

const N = 1000;
const cfg = PROGRAMS_DEFAULTS;
const gen = (split: Split, seed = 5, n = N): WorldItem<string>[] => programsTask.items({ config: cfg, seed, split, n });
const ids = gen("id");
const n1s = gen("n1");
const oods = gen("ood");
const specOf = (it: WorldItem<string>): Spec => it.meta.spec as Spec;

function parsed(text: string): Expr {
  const r = parseProgram(text);
  if (!r.ok) throw new Error(`${text}: ${r.error}`);
  return r.expr;
}

/** Reference: expand to a polynomial, monomial "i,j" (x^i y^j) → coefficient, zeros dropped. */
function poly(e: Expr): Map<string, bigint> {
  if (e.kind === "num") return new Map(e.value === 0 ? [] : [["0,0", BigInt(e.value)]]);
  if (e.kind === "var") return new Map([[e.name === "x" ? "1,0" : "0,1", 1n]]);
  const a = poly(e.left);
  const b = poly(e.right);
  const out = new Map<string, bigint>();
  const add = (k: string, v: bigint): void => {
    const s = (out.get(k) ?? 0n) + v;
    if (s === 0n) out.delete(k);
    else out.set(k, s);
  };
  if (e.op === "*") {
    for (const [ka, va] of a) for (const [kb, vb] of b) {
      const [i1, j1] = ka.split(",").map(Number);
      const [i2, j2] = kb.split(",").map(Number);
      add(`${i1 + i2},${j1 + j2}`, va * vb);
    }
  } else {
    for (const [k, v] of a) add(k, v);
    for (const [k, v] of b) add(k, e.op === "+" ? v : -v);
  }
  return out;
}
const polyEqual = (a: Expr, b: Expr): boolean => {
  const pa = poly(a);
  const pb = poly(b);
  return pa.size === pb.size && [...pa].every(([k, v]) => pb.get(k) === v);
};

function randomExpr(rng: Rng, depth: number): Expr {
  if (depth === 0 || rng.next() < 0.3) {
    const r = rng.int(4);
    return r === 0 ? { kind: "var", name: "x" } : r === 1 ? { kind: "var", name: "y" } : { kind: "num", value: rng.int(4) };
  }
  const op = (["+", "-", "*"] as const)[rng.int(3)];
  return { kind: "bin", op, left: randomExpr(rng, depth - 1), right: randomExpr(rng, depth - 1) };
}

describe("programs: language", () => {
  it("parses with the usual precedence and left associativity", () => {
    const v = (s: string, x = 0, y = 0): bigint => run(parsed(s), { x, y });
    expect(v("2-3-4")).toBe(-5n);
    expect(v("2-(3-4)")).toBe(3n);
    expect(v("2+3*4")).toBe(14n);
    expect(v("(2+3)*4")).toBe(20n);
    expect(v(" x * ( y + 12 ) ", 2, 3)).toBe(30n);
    for (const bad of ["", "x+", "(x", "x)", "2x", "x^2", "a", "x--y", "-x", "x + + y"]) expect(parseProgram(bad).ok, bad).toBe(false);
  });

  it("prints with minimal parentheses and round-trips the tree exactly", () => {
    const rng = createRng(1);
    for (let i = 0; i < 2000; i++) {
      const e = randomExpr(rng, 4);
      const text = printProgram(e);
      expect(parsed(text)).toEqual(e);
      expect(equivalentOn(parsed(text), e, gridInputs(3))).toBe(true);
      expect(shapeOf(parsed(text))).toBe(shapeOf(e));
    }
    expect(printProgram(parsed("(x-(y-2))*(3*y)"))).toBe("(x-(y-2))*(3*y)");
    expect(printProgram(parsed("((x+1)+y)*2"))).toBe("(x+1+y)*2");
    expect(shapeOf(parsed("(x+3)*y"))).toBe("*(+(_,_),_)");
  });

  it("equivalence by execution agrees with polynomial identity", () => {
    const rng = createRng(2);
    let same = 0;
    for (let i = 0; i < 3000; i++) {
      const a = randomExpr(rng, 3);
      const b = i % 2 === 0 ? randomExpr(rng, 3) : parsed(printProgram(a).replace(/x/g, "(x+0)"));
      const eq = equivalent(a, b);
      expect(eq).toBe(polyEqual(a, b));
      same += Number(eq);
    }
    expect(same).toBeGreaterThan(1500);
    // High degree: x^6 - x agrees with 0 on x = 0, 1 only; the grid grows with the degree.
    expect(equivalent(parsed("x*x*x*x*x*x-x"), parsed("0"))).toBe(false);
  });
});

describe("programs: verifier", () => {
  it("accepts every gold program and every listed equivalent, on every split", () => {
    let multi = 0;
    for (const it of [...ids, ...n1s, ...oods]) {
      expect(it.answerText).toBe(printProgram(specToExpr(specOf(it))));
      const programs = it.meta.programs as string[];
      expect(new Set(programs).size).toBe(programs.length);
      for (const p of programs) expect(programsTask.verify(it, p), `${it.id} ${p}`).toEqual({ correct: true });
      if (new Set(programs.map((p) => shapeOf(parsed(p)))).size > 1) multi++;
      for (const t of it.meta.tests as { x: number; y: number; out: string }[]) expect(run(parsed(it.answerText), t).toString()).toBe(t.out);
    }
    expect(multi).toBeGreaterThan(N); // most specs have programs of more than one shape
  });

  it("accepts an equivalent program written differently and rejects a non-equivalent one", () => {
    const it: WorldItem<string> = { ...ids[0], prompt: "Build: x, add 3, times y\nf=" };
    for (const ok of ["(x+3)*y", "y*(3+x)", "x*y+3*y", "y*x+y+y+y", " ( x + 3 ) * y "]) expect(programsTask.verify(it, ok), ok).toEqual({ correct: true });
    for (const bad of ["x+3*y", "(x+3)*x", "(x+4)*y", "x*y+3"]) {
      const v = programsTask.verify(it, bad);
      expect(v.correct, bad).toBe(false);
      expect(v.reason).toMatch(/^wrong at x=/);
    }
    expect(programsTask.verify(it, "(x+3)y").reason).toMatch(/^syntax error/);
  });

  it("rejects the gold program with one constant or operator changed, and the parent's program on an N-1 item", () => {
    n1s.forEach((it, i) => {
      expect(programsTask.verify(it, ids[i].answerText).correct).toBe(false);
      expect(programsTask.verify(ids[i], it.answerText).correct).toBe(false);
      expect(programsTask.verify(it, `${it.answerText}+1`).correct).toBe(false);
      expect(programsTask.verify(it, `(${it.answerText})*2`).correct).toBe(false);
    });
  });
});

describe("programs: splits", () => {
  it("N-1 specs differ from their parent in exactly one element", () => {
    n1s.forEach((it, i) => {
      expect(it.parent?.id).toBe(ids[i].id);
      const a = specOf(it);
      const b = specOf(ids[i]);
      expect(a.steps.length).toBe(b.steps.length);
      let diffs = Number(a.start !== b.start);
      a.steps.forEach((s, k) => {
        diffs += Number(s.op !== b.steps[k].op) + Number(s.arg !== b.steps[k].arg);
      });
      expect(diffs, it.parent?.change).toBe(1);
    });
  });

  it("steps 1-2 in distribution, 3-4 out of it; prompt + answer within 120 characters", () => {
    for (const it of [...ids, ...n1s]) expect([1, 2]).toContain(specOf(it).steps.length);
    for (const it of oods) expect([3, 4]).toContain(specOf(it).steps.length);
    for (const it of [...ids, ...n1s, ...oods]) expect(it.prompt.length + it.answerText.length).toBeLessThanOrEqual(120);
  });

  it("no N-1 prompt equals an in-distribution prompt; no evaluation prompt is in the documents", () => {
    const idPrompts = new Set(gen("id", 5, 3 * N).map((x) => x.prompt));
    const docs = programsTask.documents({ config: cfg, seed: 5, n: 3 * N });
    const docPrompts = new Set(docs.map((d) => d.slice(0, d.indexOf("f=") + 2)));
    for (const it of n1s) expect(idPrompts.has(it.prompt) || docPrompts.has(it.prompt)).toBe(false);
    for (const it of ids) expect(docPrompts.has(it.prompt)).toBe(false);
    // Documents show several right answers: many are not the canonical program, and all are right.
    let nonCanonical = 0;
    for (const d of docs) {
      const i = d.indexOf("f=") + 2;
      const spec = parseSpecPrompt(d.slice(0, i));
      expect(spec).not.toBeNull();
      expect(equivalent(parsed(d.slice(i)), specToExpr(spec!))).toBe(true);
      nonCanonical += Number(d.slice(i) !== canonicalProgram(spec!));
    }
    expect(nonCanonical).toBeGreaterThan(docs.length / 4);
  });

  it("same seed → byte-identical items and documents; another seed → different", () => {
    for (const split of ["id", "n1", "ood"] as const) {
      expect(JSON.stringify(gen(split, 3, 200))).toBe(JSON.stringify(gen(split, 3, 200)));
      expect(JSON.stringify(gen(split, 3, 200))).not.toBe(JSON.stringify(gen(split, 4, 200)));
      expect(JSON.stringify(gen(split, 3, 50))).toBe(JSON.stringify(gen(split, 3, 200).slice(0, 50)));
    }
    const docs = (seed: number): string => programsTask.documents({ config: cfg, seed, n: 300 }).join("\u0000");
    expect(docs(3)).toBe(docs(3));
    expect(docs(3)).not.toBe(docs(4));
  });

  it("all text tokenizes without <unk>", () => {
    const tok = new CharTokenizer();
    const texts = [...ids, ...n1s, ...oods].flatMap((it) => [it.prompt, ...(it.meta.programs as string[])]);
    texts.push(...programsTask.documents({ config: cfg, seed: 5, n: 1000 }));
    for (const t of texts) expect(tok.encode(t).includes(tok.unk)).toBe(false);
  });
});
