/** Fuzzing the YAML configs the CLI reads (properties in ./yaml.props.ts). */
import { fuzzSuite } from "./suite.js";
import { yamlFamily } from "./yaml.props.js";

fuzzSuite(yamlFamily);
