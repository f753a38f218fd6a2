/**
 * Text kept in a record's detail (a response, a sample, a gold answer): cut to `max`
 * characters with an ellipsis when cut, so stored records stay small and reports stay
 * readable. The one rule for every probe, the ledger's examples and the report.
 */

/** The default length of text kept in a record's detail. */
export const DETAIL_CHARS = 400;

/** `text` itself when it has at most `max` characters, else its first `max` and "…". */
export function clipText(text: string, max = DETAIL_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
