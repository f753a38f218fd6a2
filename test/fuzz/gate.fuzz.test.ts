/** Fuzzing `--fail-on` rules (properties in ./gate.props.ts). */
import { fuzzSuite } from "./suite.js";
import { gateFamily } from "./gate.props.js";

fuzzSuite(gateFamily);
