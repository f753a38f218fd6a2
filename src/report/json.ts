/** The report's JSON: the stored audit result itself (docs/PROBES.md §10), pretty-printed. */
import type { ReportInput } from "./data.js";

export function renderJson(input: ReportInput): string {
  return `${JSON.stringify(input.result, null, 2)}\n`;
}
