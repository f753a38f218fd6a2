/** Fuzzing `ftledger serve`'s request handling (properties in ./serve.props.ts). */
import { fuzzSuite } from "./suite.js";
import { serveFamily } from "./serve.props.js";

fuzzSuite(serveFamily);
