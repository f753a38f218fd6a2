/** Fuzzing config.json and tokenizer.json readers (properties in ./hf.props.ts). */
import { fuzzSuite } from "./suite.js";
import { hfFamily } from "./hf.props.js";

fuzzSuite(hfFamily);
