/**
 * Every parser family's fuzz properties, in one list: the tests run each family with its
 * fixed case counts (test/fuzz/*.fuzz.test.ts), `npm run bench:fuzz` runs them all with
 * many more cases (bench/fuzz.ts).
 */
import type { FuzzFamily } from "./helpers.js";
import { datasetFamily } from "./dataset.props.js";
import { gateFamily } from "./gate.props.js";
import { ggufFamily } from "./gguf.props.js";
import { hfFamily } from "./hf.props.js";
import { safetensorsFamily } from "./safetensors.props.js";
import { serveFamily } from "./serve.props.js";
import { yamlFamily } from "./yaml.props.js";

export const FUZZ_FAMILIES: FuzzFamily<unknown>[] = [safetensorsFamily, ggufFamily, hfFamily, datasetFamily, serveFamily, gateFamily, yamlFamily];
