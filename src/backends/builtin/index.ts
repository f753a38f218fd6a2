export { openBuiltinModel, type BuiltinOptions } from "./builtin.js";
export { loadFolderTokenizer, type FolderTokenizer } from "./hf-tokenizer.js";
export { splitForScoring } from "./split.js";
export { sharedBaseStats } from "./shared-base.js";
