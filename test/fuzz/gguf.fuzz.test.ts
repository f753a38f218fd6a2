/** Fuzzing the GGUF reader and metadata check (properties in ./gguf.props.ts; llama.cpp is never loaded). */
import { fuzzSuite } from "./suite.js";
import { ggufFamily } from "./gguf.props.js";

fuzzSuite(ggufFamily);
