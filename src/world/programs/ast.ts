/**
 * The tiny expression language: non-negative integer literals, the variables x and y,
 * + - * with the usual precedence (left-associative) and parentheses.
 *
 *   expr   := term (("+" | "-") term)*
 *   term   := factor ("*" factor)*
 *   factor := integer | "x" | "y" | "(" expr ")"
 *
 * Every expression is a polynomial in x and y with integer coefficients, which is what
 * makes equivalence decidable by running (see run.ts).
 */

export type Op = "+" | "-" | "*";
export type Var = "x" | "y";

export type Expr =
  | { kind: "num"; value: number }
  | { kind: "var"; name: Var }
  | { kind: "bin"; op: Op; left: Expr; right: Expr };

export type ParseProgramResult = { ok: true; expr: Expr } | { ok: false; error: string };

/** Longest program the parser accepts (prompt + answer fit in 128 characters anyway). */
export const MAX_PROGRAM_CHARS = 256;

export function num(value: number): Expr {
  return { kind: "num", value };
}
export function variable(name: Var): Expr {
  return { kind: "var", name };
}
export function bin(op: Op, left: Expr, right: Expr): Expr {
  return { kind: "bin", op, left, right };
}

/** Parses a whole program (spaces allowed between tokens); errors are data. */
export function parseProgram(text: string): ParseProgramResult {
  const src = text.trim();
  if (src.length === 0) return { ok: false, error: "empty program" };
  if (src.length > MAX_PROGRAM_CHARS) return { ok: false, error: "program too long" };
  let pos = 0;
  const skip = (): void => {
    while (src[pos] === " ") pos++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at ${pos}`);
  };
  const factor = (): Expr => {
    skip();
    const c = src[pos];
    if (c === "(") {
      pos++;
      const e = expr();
      skip();
      if (src[pos] !== ")") fail("expected )");
      pos++;
      return e;
    }
    if (c === "x" || c === "y") {
      pos++;
      return variable(c);
    }
    if (c !== undefined && c >= "0" && c <= "9") {
      let s = "";
      while (src[pos] !== undefined && src[pos] >= "0" && src[pos] <= "9") s += src[pos++];
      return num(Number(s));
    }
    return fail(c === undefined ? "unexpected end" : `unexpected "${c}"`);
  };
  const term = (): Expr => {
    let e = factor();
    for (;;) {
      skip();
      if (src[pos] !== "*") return e;
      pos++;
      e = bin("*", e, factor());
    }
  };
  const expr = (): Expr => {
    let e = term();
    for (;;) {
      skip();
      const c = src[pos];
      if (c !== "+" && c !== "-") return e;
      pos++;
      e = bin(c, e, term());
    }
  };
  try {
    const e = expr();
    skip();
    if (pos !== src.length) fail(`unexpected "${src[pos]}"`);
    return { ok: true, expr: e };
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false, error: err.message };
    throw err;
  }
}

const PREC: Record<Op, number> = { "+": 1, "-": 1, "*": 2 };

function prec(e: Expr): number {
  return e.kind === "bin" ? PREC[e.op] : 3;
}

/** Canonical text: the fewest parentheses that keep the tree exactly (parse ∘ print = id). */
export function printProgram(e: Expr): string {
  if (e.kind === "num") return String(e.value);
  if (e.kind === "var") return e.name;
  const p = PREC[e.op];
  const l = printProgram(e.left);
  const r = printProgram(e.right);
  const lp = prec(e.left) < p ? `(${l})` : l;
  // NOTE: a right operand of equal precedence keeps its parentheses even where + and *
  // would not need them, so printing never reassociates the tree (shapes stay faithful).
  const rp = prec(e.right) <= p ? `(${r})` : r;
  return `${lp}${e.op}${rp}`;
}

/**
 * Syntactic shape with every leaf abstracted to "_", in prefix form: (x+3)*y → "*(+(_,_),_)".
 * Distinct shapes among k samples measure syntactic diversity (docs/PROBES.md §3, diversity).
 */
export function shapeOf(e: Expr): string {
  return e.kind === "bin" ? `${e.op}(${shapeOf(e.left)},${shapeOf(e.right)})` : "_";
}

/** An upper bound on the degree of `e` in each variable. */
export function degreeBound(e: Expr): number {
  if (e.kind === "num") return 0;
  if (e.kind === "var") return 1;
  const l = degreeBound(e.left);
  const r = degreeBound(e.right);
  return e.op === "*" ? l + r : Math.max(l, r);
}
