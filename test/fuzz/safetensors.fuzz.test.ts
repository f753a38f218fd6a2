/** Fuzzing the safetensors reader (properties in ./safetensors.props.ts). */
import { fuzzSuite } from "./suite.js";
import { safetensorsFamily } from "./safetensors.props.js";

fuzzSuite(safetensorsFamily);
