/**
 * Shared pieces of the parser fuzz properties, used by the tests (test/fuzz/*.fuzz.test.ts,
 * a fixed number of cases each) and by `npm run bench:fuzz` (many more): the shape of a
 * property, seeds, the per-case guard (time and memory budgets), byte and JSON mutations
 * of valid inputs, and temp folders.
 *
 * A property is an arbitrary plus a `check` that throws when the parser misbehaved:
 * an uncaught exception of a kind the parser does not document, an error value that is
 * not well formed, a case over the time budget (a hang or a super-linear path) or one
 * that grew memory past the budget (a length field believed before it was checked).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { fnv1a } from "../../src/random/index.js";

export interface FuzzCase {
  arb: fc.Arbitrary<unknown>;
  check: (value: unknown) => Promise<void>;
}

export interface FuzzProperty<Ctx> {
  name: string;
  /** Cases in `npm test` (the bench multiplies it). */
  runs: number;
  /** Stop at the first failure without shrinking (for properties whose cases take seconds). */
  endOnFailure?: boolean;
  /** Cases in the bench when 20 × runs would take too long (cases of seconds each). */
  benchRuns?: number;
  make(ctx: Ctx): FuzzCase;
}

/** The properties of one parser, with what they need opened once (temp folder, model, base files). */
export interface FuzzFamily<Ctx> {
  parser: string;
  setup(): Promise<Ctx>;
  teardown(ctx: Ctx): Promise<void>;
  properties: FuzzProperty<Ctx>[];
}

/** Pair an arbitrary with its check, erasing the value type for the registry. */
export function fuzzCase<T>(arb: fc.Arbitrary<T>, check: (value: T) => Promise<void> | void): FuzzCase {
  return { arb: arb as fc.Arbitrary<unknown>, check: async (v) => guarded(() => check(v as T)) };
}

/** The tests' base seed; the bench takes FUZZ_SEED or --seed. */
export const DEFAULT_SEED = 20_250_607;

/** Each property gets its own seed from the base, so adding a property does not reshuffle the others. */
export function propertySeed(base: number, parser: string, name: string): number {
  return (base ^ fnv1a(`${parser}/${name}`)) | 0;
}

/**
 * Per-case budgets. Generous on purpose: they catch hangs and allocations sized by a lying
 * header (gigabytes), not slowness; FUZZ_CASE_MS / FUZZ_CASE_MB raise them on a loaded machine.
 */
export const CASE_BUDGET_MS = Number(process.env.FUZZ_CASE_MS ?? 2000);
export const CASE_BUDGET_BYTES = Number(process.env.FUZZ_CASE_MB ?? 256) * 2 ** 20;

async function guarded(run: () => Promise<void> | void): Promise<void> {
  const before = process.memoryUsage();
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  if (ms > CASE_BUDGET_MS) throw new Error(`one case took ${ms.toFixed(0)} ms, over the ${CASE_BUDGET_MS} ms budget (a hang or a super-linear path)`);
  const grew = Math.max(after.arrayBuffers - before.arrayBuffers, after.heapUsed - before.heapUsed);
  if (grew > CASE_BUDGET_BYTES) throw new Error(`one case grew memory by ${(grew / 2 ** 20).toFixed(0)} MiB, over the ${CASE_BUDGET_BYTES / 2 ** 20} MiB budget (an allocation sized by the input's claims)`);
}

/** Every number inside `v` is finite: an error that says "NaN bytes" names nothing. */
export function expectFiniteNumbers(v: unknown, where = "the error"): void {
  const walk = (x: unknown, path: string): void => {
    if (typeof x === "number" && !Number.isFinite(x)) throw new Error(`${where} holds ${x} at ${path || "(root)"}: ${safeJson(v)}`);
    if (Array.isArray(x)) x.forEach((y, i) => walk(y, `${path}[${i}]`));
    else if (x !== null && typeof x === "object") for (const [k, y] of Object.entries(x)) walk(y, `${path}.${k}`);
  };
  walk(v, "");
}

export function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : typeof x === "number" && !Number.isFinite(x) ? String(x) : x)).slice(0, 400);
  } catch {
    return String(v);
  }
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `ftledger-fuzz-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------- numbers and JSON values

/** Lengths and counts that break code which believes them: 0, ±1 around powers of two, past 2^53. */
export const INTERESTING_U64: readonly bigint[] = [
  0n, 1n, 2n, 7n, 8n, 255n, 256n, 0xffffn, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 33n,
  2n ** 40n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
];
export const interestingU64 = fc.oneof(fc.constantFrom(...INTERESTING_U64), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 4096n }));
export const interestingU32 = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 12, 13, 31, 32, 255, 2 ** 16, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1), fc.nat({ max: 2 ** 32 - 1 }));

/** JSON values that parsers mishandle: huge, negative, fractional, prototype keys, wrong types. */
export const INTERESTING_JSON: readonly unknown[] = [
  -1, 0, 1, 2, -0, 0.5, 1.5, 1e308, -1e308, 1e21, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64,
  "", "0", "1", "-1", "NaN", "Infinity", "__proto__", "constructor", "toString", "hasOwnProperty", "\u0000", "\uFFFD", "x".repeat(300),
  null, true, false, [], {}, [0], [-1], [2 ** 53, 2 ** 53], [1, 2, 3], { "": null }, [[]], [{}],
];

export const interestingJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INTERESTING_JSON) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

export const interestingKey = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "", "__metadata__", "length"),
  fc.string({ maxLength: 8 }),
);

/** Every path to a node of a JSON value, root included. */
function pathsOf(v: unknown): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (x: unknown, path: (string | number)[]) => {
    out.push(path);
    if (Array.isArray(x)) x.forEach((y, i) => walk(y, [...path, i]));
    else if (x !== null && typeof x === "object") for (const [k, y] of Object.entries(x)) walk(y, [...path, k]);
  };
  walk(v, []);
  return out;
}

/** Set an own property, even "__proto__" (plain assignment would change the prototype instead). */
function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

type JsonMutation =
  | { kind: "replace"; at: number; value: unknown }
  | { kind: "delete"; at: number }
  | { kind: "add"; at: number; key: string; value: unknown }
  | { kind: "copy"; at: number; from: number };

function applyJsonMutation(root: unknown, paths: (string | number)[][], m: JsonMutation): unknown {
  const path = paths[m.at % paths.length];
  const node = (p: (string | number)[], r: unknown): unknown => p.reduce<unknown>((x, k) => (x !== null && typeof x === "object" && Object.hasOwn(x, k) ? (x as Record<string, unknown>)[k] : undefined), r);
  const put = (value: unknown): unknown => {
    if (path.length === 0) return value;
    const parent = node(path.slice(0, -1), root);
    if (parent === null || typeof parent !== "object") return root;
    setOwn(parent as Record<string, unknown>, String(path[path.length - 1]), value);
    return root;
  };
  // values are cloned in: fast-check hands out one instance of each constant, and a mutated
  // or re-inserted constant would leak into later cases (or close a cycle)
  switch (m.kind) {
    case "replace":
      return put(structuredClone(m.value));
    case "copy":
      return put(structuredClone(node(paths[m.from % paths.length], root)));
    case "delete": {
      if (path.length === 0) return root;
      const parent = node(path.slice(0, -1), root);
      const k = path[path.length - 1];
      if (Array.isArray(parent) && typeof k === "number") parent.splice(k, 1);
      else if (parent !== null && typeof parent === "object") delete (parent as Record<string, unknown>)[k];
      return root;
    }
    case "add": {
      const target = node(path, root);
      if (Array.isArray(target)) target.push(structuredClone(m.value));
      else if (target !== null && typeof target === "object") setOwn(target as Record<string, unknown>, m.key, structuredClone(m.value));
      return root;
    }
  }
}

/** 1–4 structural mutations of `base` (replace a node, delete one, add a key or item, copy one node over another). */
export function mutatedJson(base: unknown, extra: readonly unknown[] = []): fc.Arbitrary<unknown> {
  const paths = pathsOf(base);
  const value = extra.length ? fc.oneof(interestingJson, fc.constantFrom(...extra)) : interestingJson;
  const mutation: fc.Arbitrary<JsonMutation> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), value }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("add" as const), at: fc.nat(), key: interestingKey, value }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("copy" as const), at: fc.nat(), from: fc.nat() }) },
  );
  return fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => ms.reduce<unknown>((r, m) => applyJsonMutation(r, paths, m), structuredClone(base)));
}

// ---------------------------------------------------------------- bytes

type ByteMutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; n: number }
  | { kind: "u64"; at: number; value: bigint };

function applyByteMutation(b: Uint8Array, m: ByteMutation): Uint8Array {
  const at = b.length === 0 ? 0 : m.at % b.length;
  switch (m.kind) {
    case "flip": {
      const out = b.slice();
      if (out.length) out[at] ^= 1 << m.bit;
      return out;
    }
    case "set": {
      const out = b.slice();
      if (out.length) out[at] = m.value;
      return out;
    }
    case "truncate":
      return b.slice(0, at);
    case "insert":
      return Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    case "delete":
      return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.n)]);
    case "u64":
      return withU64(b, at, m.value);
  }
}

/** `b` with a little-endian u64 written at `at` (clipped at the end). */
export function withU64(b: Uint8Array, at: number, value: bigint): Uint8Array {
  const out = b.slice();
  const tmp = Buffer.alloc(8);
  tmp.writeBigUInt64LE(value);
  out.set(tmp.subarray(0, Math.max(0, Math.min(8, out.length - at))), at);
  return out;
}

/** 1–4 byte-level mutations: bit flips, overwritten bytes, truncation, insertions, deletions, u64 fields. */
export function mutatedBytes(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const at = fc.nat();
  const mutation: fc.Arbitrary<ByteMutation> = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at, bit: fc.nat({ max: 7 }) }),
    fc.record({ kind: fc.constant("set" as const), at, value: fc.nat({ max: 255 }) }),
    fc.record({ kind: fc.constant("truncate" as const), at }),
    fc.record({ kind: fc.constant("insert" as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant("delete" as const), at, n: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ kind: fc.constant("u64" as const), at, value: interestingU64 }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => ms.reduce(applyByteMutation, base));
}

/** Text-level mutations of a JSON or YAML document: characters deleted, inserted or duplicated. */
export function mutatedText(base: string): fc.Arbitrary<string> {
  const edit = fc.record({ at: fc.nat(), del: fc.nat({ max: 4 }), ins: fc.string({ maxLength: 4, unit: fc.constantFrom("{", "}", "[", "]", ",", ":", '"', "\\", "\n", " ", "-", "&", "*", "!", "#", "0", "e", "\u0000", "\uD800") }) });
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((es) =>
    es.reduce((s, e) => {
      const i = s.length === 0 ? 0 : e.at % s.length;
      return s.slice(0, i) + e.ins + s.slice(i + e.del);
    }, base),
  );
}
