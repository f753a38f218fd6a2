/**
 * Everything that can be wrong with a user's text file (a --data JSONL, a settings file,
 * a model folder's JSON), as data. Each error names the file and, when there is one, the
 * line, the byte and the field; `formatTextError` renders it as a message that ends
 * with what to do.
 */
import { basename, dirname, extname, join } from "node:path";
import type { OtherEncoding } from "./utf8.js";

export type TextError =
  | { code: "no_such_file"; file: string }
  | { code: "is_directory"; file: string }
  /** Nothing but whitespace (or a byte-order mark). */
  | { code: "empty_file"; file: string }
  /** The operating system refused to open or read it. */
  | { code: "unreadable"; file: string; message: string }
  /** Larger than the reader's limit, found by stat before any byte is read. */
  | { code: "file_too_large"; file: string; bytes: number; limit: number; reason: string }
  /** One line of a line-oriented file is longer than the line limit; found before the line is parsed. */
  | { code: "line_too_long"; file: string; line: number; bytes: number; limit: number; reason: string }
  /** `offset` is from the start of the file (0-based); `column` is the byte within the line (1-based). */
  | { code: "invalid_utf8"; file: string; line: number; column: number; offset: number; byte: number }
  /** A UTF-16 or UTF-32 file (by its byte-order mark, or by the NUL bytes of its ASCII). */
  | { code: "other_encoding"; file: string; encoding: OtherEncoding; bom: boolean }
  /** A string (or a key) of the parsed JSON holds half a UTF-16 surrogate pair. */
  | { code: "lone_surrogate"; file: string; line?: number; field: string }
  | { code: "bad_json"; file: string; line?: number; message: string };

export type TextErrorCode = TextError["code"];

/**
 * How the caller names the file in messages: the flag it came from (`--data`), what to
 * pass instead of a folder (`a .jsonl file`) and what the file must hold when it is empty.
 */
export interface TextRole {
  flag?: string;
  kind?: string;
  holds?: string;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const [v, unit] = n < 1 << 20 ? [n / 1024, "KiB"] : n < 1 << 30 ? [n / (1 << 20), "MiB"] : [n / (1 << 30), "GiB"];
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
}

/** A path as one shell word. */
/** A path as one word of a POSIX shell command (quoted when it needs to be), for advice users paste. */
export const shellWord = (p: string) => (/^[\w./+-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`);

/** Where a converted copy could go: items.jsonl → items.utf8.jsonl. */
function convertedName(file: string): string {
  const ext = extname(file);
  return join(dirname(file), `${basename(file, ext)}.utf8${ext}`);
}

function iconv(from: string, file: string): string {
  return `iconv -f ${from} -t UTF-8 ${shellWord(file)} > ${shellWord(convertedName(file))}`;
}

/** What is wrong and what to do, without the location (for callers that print the location themselves). */
export function textErrorDetail(e: TextError, role: TextRole = {}): string {
  switch (e.code) {
    case "no_such_file":
      return "no such file; check the path (a relative path starts from the current folder).";
    case "is_directory":
      return `is a folder; pass ${role.kind ?? "a file"}.`;
    case "empty_file":
      return `is empty: it must hold ${role.holds ?? "text"}.`;
    case "unreadable":
      return `cannot read it (${e.message}); check that it is a file you may read.`;
    case "file_too_large":
      return `the file is ${formatBytes(e.bytes)}, over the ${formatBytes(e.limit)} limit (${e.reason}); check that this is the right file.`;
    case "line_too_long":
      return `the line is ${formatBytes(e.bytes)}, over the ${formatBytes(e.limit)} limit for one line (${e.reason}); shorten it.`;
    case "invalid_utf8":
      return `byte 0x${e.byte.toString(16).toUpperCase().padStart(2, "0")} (offset ${e.offset} in the file) is not valid UTF-8, so the file is not UTF-8 text ` +
        `(often it was saved as Latin-1 or Windows-1252); convert it to UTF-8, for example ${iconv("WINDOWS-1252", e.file)}.`;
    case "other_encoding": {
      const family = e.encoding.slice(0, 6); // UTF-16 or UTF-32
      // with a byte-order mark iconv finds the byte order itself; without one it must be told
      return `this file is ${family} (${e.encoding}${e.bom ? ", by its byte-order mark" : ", by its NUL bytes"}), and ftledger reads UTF-8 only; ` +
        `convert it to UTF-8, for example ${iconv(e.bom ? family : e.encoding, e.file)}.`;
    }
    case "lone_surrogate":
      return `field "${e.field}" holds a lone surrogate (half of a UTF-16 pair, such as a "\\ud800" escape with nothing after it), which is not a character; ` +
        `fix that \\u escape: a character above U+FFFF is written as a pair (for example "\\ud83d\\ude00") or as the character itself.`;
    case "bad_json":
      return `not valid JSON (${e.message}); fix the syntax there.`;
  }
}

/** One user-facing message: `[FLAG ]FILE[:LINE[:BYTE]]: what was wrong; what to do.` */
export function formatTextError(e: TextError, role: TextRole = {}): string {
  const name = role.flag ? `${role.flag} ${e.file}` : e.file;
  if (e.code === "is_directory" || e.code === "empty_file") return `${name} ${textErrorDetail(e, role)}`;
  const line = "line" in e && e.line !== undefined ? `:${e.line}${e.code === "invalid_utf8" ? `:${e.column}` : ""}` : "";
  return `${name}${line}: ${textErrorDetail(e, role)}`;
}
