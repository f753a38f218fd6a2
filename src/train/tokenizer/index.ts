/** Tokenizer training (byte-level BPE) and the world corpus it trains on. */
export { trainBpe, trainBpeReport, type BpeTrainOptions, type BpeTrainResult } from "./bpe-train.js";
export { recipeTokenizer, tokenizerPath, describeTokenizer, sameTokenizer, baseTokenizerProblem, resumeTokenizer } from "./run-tokenizer.js";
