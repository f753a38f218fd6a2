/**
 * Escaping for the report. Every string that did not come from this module's own
 * templates — model output, item text, a model spec, a domain name, anything read from
 * the store — goes through `escapeHtml` before it reaches the HTML, so a response such as
 * `<script>alert(1)</script>` renders as text (OWASP XSS Prevention Cheat Sheet, rule 1:
 * the five characters & < > " ' in element content and quoted attribute values).
 */

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe in HTML element content and in a double- or single-quoted attribute value. */
export function escapeHtml(text: unknown): string {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * JSON safe inside `<script type="application/json">`: `<`, `>` and `&` become \u escapes
 * (so no `</script>` or `<!--` can end the block), as do U+2028/U+2029.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Markdown table cell text: HTML-escaped (GitHub renders inline HTML), pipes and newlines neutralised. */
export function escapeMarkdownCell(text: unknown): string {
  return escapeHtml(text).replace(/[\\`*_|]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, " ");
}
