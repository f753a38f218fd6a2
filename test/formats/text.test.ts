/**
 * The strict text reader (src/formats/text.ts): UTF-8 only, with every way a file can fail
 * to be UTF-8 text named by file, line and byte; limits checked before reading or parsing;
 * lone surrogates in parsed JSON named by field; lines streamed with bounded memory.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  firstInvalidUtf8, formatTextError, loneSurrogateField, parseJsonText, readJsonText, readTextFile, readTextLines, sniffOtherEncoding, TEXT_LIMITS,
  type ReadLinesOptions, type TextError, type TextLine, type TextResult,
} from "../../src/formats/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-text-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function file(bytes: string | Uint8Array): Promise<string> {
  const path = join(dir, `f${n++}.txt`);
  await writeFile(path, bytes);
  return path;
}
const b = (...xs: (string | number[])[]) => Buffer.concat(xs.map((x) => (typeof x === "string" ? Buffer.from(x) : Buffer.from(x))));
const settings = { limit: TEXT_LIMITS.settings };

function errorOf<T>(r: TextResult<T>): TextError {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  return r.error;
}

async function lines(path: string, o: ReadLinesOptions = { limit: TEXT_LIMITS.jsonl }): Promise<TextLine[]> {
  const out: TextLine[] = [];
  for await (const ev of readTextLines(path, o)) out.push(ev);
  return out;
}

describe("firstInvalidUtf8", () => {
  it("finds the first byte of each kind of invalid sequence", () => {
    expect(firstInvalidUtf8(b("abc"))).toBe(-1);
    expect(firstInvalidUtf8(b("é😀"))).toBe(-1);
    expect(firstInvalidUtf8(b("ab", [0xff]))).toBe(2); // never used in UTF-8
    expect(firstInvalidUtf8(b("a", [0x80]))).toBe(1); // a stray continuation byte
    expect(firstInvalidUtf8(b("a", [0xc0, 0xaf]))).toBe(1); // overlong "/"
    expect(firstInvalidUtf8(b("a", [0xe0, 0x80, 0xaf]))).toBe(1); // overlong, three bytes
    expect(firstInvalidUtf8(b("a", [0xed, 0xa0, 0x80]))).toBe(1); // an encoded surrogate (CESU-8)
    expect(firstInvalidUtf8(b("a", [0xf4, 0x90, 0x80, 0x80]))).toBe(1); // above U+10FFFF
    expect(firstInvalidUtf8(b("aé", [0xe2, 0x82]))).toBe(3); // cut off at the end
  });

  it("agrees with a fatal TextDecoder on any bytes, and everything before it decodes", () => {
    const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    const valid = (x: Uint8Array) => {
      try {
        decoder.decode(x);
        return true;
      } catch {
        return false;
      }
    };
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 20 }).map((s) => Buffer.from(s)));
    fc.assert(fc.property(bytes, fc.uint8Array({ maxLength: 3 }), (a, tail) => {
      const x = Buffer.concat([a, tail]);
      const i = firstInvalidUtf8(x);
      expect(i === -1).toBe(valid(x));
      if (i >= 0) expect(valid(x.subarray(0, i))).toBe(true);
    }), { numRuns: 2000 });
  });
});

describe("sniffOtherEncoding", () => {
  const ascii = '{"id": "a", "prompt": "p"}\n';
  it("names UTF-16 and UTF-32 by their byte-order marks, and without one by their NUL bytes", () => {
    expect(sniffOtherEncoding(b([0xff, 0xfe], "{"))).toEqual({ encoding: "UTF-16LE", bom: true });
    expect(sniffOtherEncoding(b([0xfe, 0xff], "{"))).toEqual({ encoding: "UTF-16BE", bom: true });
    expect(sniffOtherEncoding(b([0xff, 0xfe, 0, 0], "{"))).toEqual({ encoding: "UTF-32LE", bom: true });
    expect(sniffOtherEncoding(b([0, 0, 0xfe, 0xff]))).toEqual({ encoding: "UTF-32BE", bom: true });
    expect(sniffOtherEncoding(Buffer.from(ascii, "utf16le"))).toEqual({ encoding: "UTF-16LE", bom: false });
    expect(sniffOtherEncoding(Buffer.from(ascii, "utf16le").swap16())).toEqual({ encoding: "UTF-16BE", bom: false });
    const utf32le = Buffer.concat([...ascii].map((c) => b([c.charCodeAt(0), 0, 0, 0])));
    expect(sniffOtherEncoding(utf32le)).toEqual({ encoding: "UTF-32LE", bom: false });
  });

  it("leaves UTF-8 alone, a UTF-8 byte-order mark included", () => {
    expect(sniffOtherEncoding(b(ascii))).toBeNull();
    expect(sniffOtherEncoding(b([0xef, 0xbb, 0xbf], "é"))).toBeNull();
    expect(sniffOtherEncoding(b(""))).toBeNull();
  });
});

describe("readTextFile", () => {
  it("reads UTF-8 and drops a leading byte-order mark", async () => {
    expect(await readTextFile(await file(b([0xef, 0xbb, 0xbf], "héllo\n")), settings)).toEqual({ ok: true, value: "héllo\n" });
  });

  it("an invalid byte is an error naming its line, its byte in the line and its offset in the file", async () => {
    const path = await file(b([0xef, 0xbb, 0xbf], "one\ntwo\nab", [0xe9], "\n"));
    expect(errorOf(await readTextFile(path, settings))).toEqual({ code: "invalid_utf8", file: path, line: 3, column: 3, offset: 13, byte: 0xe9 });
  });

  it("a UTF-16 file is named as such", async () => {
    const path = await file(b([0xff, 0xfe], [...Buffer.from("{}", "utf16le")]));
    expect(errorOf(await readTextFile(path, settings))).toEqual({ code: "other_encoding", file: path, encoding: "UTF-16LE", bom: true });
  });

  it("missing, a folder, empty (or only whitespace) and over the limit are each their own error", async () => {
    const missing = join(dir, "nope", "x.json");
    expect(errorOf(await readTextFile(missing, settings))).toEqual({ code: "no_such_file", file: missing });
    const folder = join(dir, "folder");
    await mkdir(folder);
    expect(errorOf(await readTextFile(folder, settings))).toEqual({ code: "is_directory", file: folder });
    const blank = await file(" \n\n");
    expect(errorOf(await readTextFile(blank, settings))).toEqual({ code: "empty_file", file: blank });
    expect(await readTextFile(blank, { ...settings, allowEmpty: true })).toEqual({ ok: true, value: " \n\n" });
    const big = await file("x".repeat(100));
    expect(errorOf(await readTextFile(big, { limit: { bytes: 99, reason: "why" } }))).toEqual({ code: "file_too_large", file: big, bytes: 100, limit: 99, reason: "why" });
  });
});

describe("JSON", () => {
  it("a lone surrogate names the field it is in, a key included; a full pair is a character", () => {
    expect(loneSurrogateField(JSON.parse('{"a": "ok", "options": ["x", "\\udc00y"]}'))).toBe("options[1]");
    expect(loneSurrogateField(JSON.parse('{"meta": {"note": "x\\ud800"}}'))).toBe("meta.note");
    expect(loneSurrogateField(JSON.parse('{"\\ud800": 1}'))).toBe("\ud800 (its name)");
    expect(loneSurrogateField(JSON.parse('"\\ud800"'))).toBe("(value)");
    expect(loneSurrogateField(JSON.parse('{"a": "\\ud83d\\ude00", "b": [1, null, true]}'))).toBeNull();
    // a cyclic value (a YAML alias inside its own anchor) and one nested deeper than the call stack
    const cyclic: Record<string, unknown> = { a: "ok" };
    cyclic.self = [cyclic, { b: "x\udc00" }];
    expect(loneSurrogateField(cyclic)).toBe("self[1].b");
    expect(loneSurrogateField(JSON.parse("[".repeat(200_000) + '"\\ud800"' + "]".repeat(200_000)))).toBe("[0]".repeat(200_000));
  });

  it("parseJsonText: a lone surrogate is an error with the line it was given; a syntax error names its line", () => {
    expect(parseJsonText('{"answer": "\\ud800"}', "d.jsonl", 7)).toEqual({ ok: false, error: { code: "lone_surrogate", file: "d.jsonl", line: 7, field: "answer" } });
    const e = errorOf(parseJsonText('{\n  "a": 1,\n  "b" 2\n}\n', "c.json")); // "Expected ':' … at position N"
    expect(e).toMatchObject({ code: "bad_json", file: "c.json", line: 3 });
  });

  it("readJsonText returns the text and the value", async () => {
    const path = await file('{"seed": 3}');
    expect(await readJsonText(path, settings)).toEqual({ ok: true, value: { text: '{"seed": 3}', value: { seed: 3 } } });
    const bad = await file('{"prompt": "\\udfff"}');
    expect(errorOf(await readJsonText(bad, settings))).toEqual({ code: "lone_surrogate", file: bad, field: "prompt" });
  });
});

describe("readTextLines", () => {
  it("yields every line with its number (blank ones and a last line without a newline too)", async () => {
    const path = await file(b([0xef, 0xbb, 0xbf], "a\r\n\nb"));
    expect(await lines(path)).toEqual([
      { kind: "line", line: 1, text: "a\r" },
      { kind: "line", line: 2, text: "" },
      { kind: "line", line: 3, text: "b" },
    ]);
  });

  it("decodes characters cut by the 64 KiB reads, and places a bad byte past the first read exactly", async () => {
    const long = "é😀".repeat(30_000); // 180 kB: crosses several reads at every alignment
    const path = await file(b(`${long}\nok\n`, "x", [0xc3], "\n"));
    const evs = await lines(path);
    expect(evs.slice(0, 2)).toEqual([{ kind: "line", line: 1, text: long }, { kind: "line", line: 2, text: "ok" }]);
    const offset = Buffer.byteLength(`${long}\nok\nx`);
    expect(evs[2]).toEqual({ kind: "error", error: { code: "invalid_utf8", file: path, line: 3, column: 2, offset, byte: 0xc3 } });
    expect(evs).toHaveLength(3); // the error ends the stream
  });

  it("a line over the limit is reported by number and size and skipped unread; the next line reads", async () => {
    // invalid bytes inside the long line are never decoded: the line is not read
    const path = await file(b("a\n", "y".repeat(50), [0xff], "y".repeat(50), "\nb\n"));
    const evs = await lines(path, { limit: TEXT_LIMITS.jsonl, lineLimit: { bytes: 100, reason: "test" } });
    expect(evs).toEqual([
      { kind: "line", line: 1, text: "a" },
      { kind: "too_long", line: 2, error: { code: "line_too_long", file: path, line: 2, bytes: 101, limit: 100, reason: "test" } },
      { kind: "line", line: 3, text: "b" },
    ]);
  });

  it("whole-file errors: missing, a folder, empty, UTF-16, over the file limit", async () => {
    const missing = join(dir, "none.jsonl");
    expect(await lines(missing)).toEqual([{ kind: "error", error: { code: "no_such_file", file: missing } }]);
    expect(await lines(dir)).toEqual([{ kind: "error", error: { code: "is_directory", file: dir } }]);
    const blank = await file("\n  \n");
    expect((await lines(blank)).at(-1)).toEqual({ kind: "error", error: { code: "empty_file", file: blank } });
    expect(await lines(blank, { limit: TEXT_LIMITS.jsonl, allowEmpty: true })).toHaveLength(2);
    const utf16 = await file(Buffer.from('{"id": "a"}\n', "utf16le"));
    expect(await lines(utf16)).toEqual([{ kind: "error", error: { code: "other_encoding", file: utf16, encoding: "UTF-16LE", bom: false } }]);
    const big = await file("x\n".repeat(100));
    expect(await lines(big, { limit: { bytes: 199, reason: "r" } })).toEqual([{ kind: "error", error: { code: "file_too_large", file: big, bytes: 200, limit: 199, reason: "r" } }]);
  });
});

describe("formatTextError", () => {
  const data = { flag: "--data", kind: "a .jsonl file", holds: "one JSON item per line" };

  it("says what is wrong and what to do, with the flag the file came from", () => {
    expect(formatTextError({ code: "no_such_file", file: "x.jsonl" }, data)).toBe("--data x.jsonl: no such file; check the path (a relative path starts from the current folder).");
    expect(formatTextError({ code: "is_directory", file: "items" }, data)).toBe("--data items is a folder; pass a .jsonl file.");
    expect(formatTextError({ code: "empty_file", file: "x.jsonl" }, data)).toBe("--data x.jsonl is empty: it must hold one JSON item per line.");
  });

  it("invalid UTF-8: file:line:byte, the offset, and an iconv command", () => {
    const msg = formatTextError({ code: "invalid_utf8", file: "my items.jsonl", line: 2, column: 5, offset: 40, byte: 0xe9 }, data);
    expect(msg).toBe("--data my items.jsonl:2:5: byte 0xE9 (offset 40 in the file) is not valid UTF-8, so the file is not UTF-8 text (often it was saved as Latin-1 or Windows-1252); " +
      "convert it to UTF-8, for example iconv -f WINDOWS-1252 -t UTF-8 'my items.jsonl' > 'my items.utf8.jsonl'.");
  });

  it("another encoding: named, with the iconv command for it", () => {
    expect(formatTextError({ code: "other_encoding", file: "a.jsonl", encoding: "UTF-16LE", bom: true })).toMatch(/^a\.jsonl: this file is UTF-16 .*convert it to UTF-8, for example iconv -f UTF-16 -t UTF-8 a\.jsonl > a\.utf8\.jsonl\.$/);
    expect(formatTextError({ code: "other_encoding", file: "a.jsonl", encoding: "UTF-16BE", bom: false })).toContain("iconv -f UTF-16BE -t UTF-8");
  });

  it("a too-long line and a lone surrogate name their line", () => {
    expect(formatTextError({ code: "line_too_long", file: "d.jsonl", line: 3, bytes: 10 << 20, limit: 1 << 20, reason: "r" })).toBe("d.jsonl:3: the line is 10 MiB, over the 1 MiB limit for one line (r); shorten it.");
    expect(formatTextError({ code: "lone_surrogate", file: "d.jsonl", line: 4, field: "prompt" })).toMatch(/^d\.jsonl:4: field "prompt" holds a lone surrogate/);
  });
});
