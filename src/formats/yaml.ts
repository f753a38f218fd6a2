/**
 * YAML configs (merge configs, `audit --config`), parsed strictly: what the yaml package
 * only warns about — an unknown tag (`!!aa`), an unknown directive, an anchor or alias
 * ending in ":" — is an error here, with its line, since a config that does not say what
 * its author meant must not run. (The package would otherwise print the warning to
 * stderr as a Node process warning and go on with a guess.)
 */
import { parseDocument } from "yaml";

export type YamlResult = { ok: true; value: unknown } | { ok: false; message: string; line?: number };

export function parseYamlText(text: string): YamlResult {
  const doc = parseDocument(text, { logLevel: "silent", prettyErrors: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line;
    return { ok: false, message: problem.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""), ...(line === undefined ? {} : { line }) };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) }; // bounded alias expansion ("billion laughs")
  } catch (e) {
    return { ok: false, message: (e as Error).message.split("\n")[0] };
  }
}
