/** Fuzzing `--data` JSONL reading (properties in ./dataset.props.ts). */
import { fuzzSuite } from "./suite.js";
import { datasetFamily } from "./dataset.props.js";

fuzzSuite(datasetFamily);
