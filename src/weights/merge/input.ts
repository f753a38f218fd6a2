/**
 * Checks a method runs before it merges: the driver (../merge.ts) validates model counts and
 * base_model from the method's metadata first, so a failure here is a programmer mistake and
 * throws (docs/CONTRIBUTING.md §9).
 */
import type { MergeMethod, MergeTensorInput } from "./method.js";

type Shape = Pick<MergeMethod, "name" | "base" | "minModels" | "maxModels">;

/** Throws unless `input` fits `method`'s base rule and model count, and all tensors have one length. Returns that length. */
export function checkInput(method: Shape, input: MergeTensorInput): number {
  const where = `${method.name} (tensor "${input.name}")`;
  if (method.base === "required" && input.base === null) throw new Error(`${where}: needs a base tensor`);
  if (method.base === "none" && input.base !== null) throw new Error(`${where}: takes no base tensor`);
  const count = input.models.length;
  if (count < method.minModels || (method.maxModels !== undefined && count > method.maxModels)) {
    throw new Error(`${where}: merges ${method.minModels}${method.maxModels === undefined ? "+" : `..${method.maxModels}`} models besides the base, got ${count}`);
  }
  if (input.modelParams.length !== count) throw new Error(`${where}: ${count} models but ${input.modelParams.length} parameter sets`);
  const n = (input.base ?? input.models[0]).length;
  input.models.forEach((m, i) => {
    if (m.length !== n) throw new Error(`${where}: model ${i} has ${m.length} values, expected ${n}`);
  });
  return n;
}

/** checkInput for a method that requires a base: the length and the (non-null) base tensor. */
export function checkWithBase(method: Shape, input: MergeTensorInput): { n: number; base: Float32Array } {
  const n = checkInput(method, input);
  if (input.base === null) throw new Error(`${method.name} (tensor "${input.name}"): needs a base tensor`);
  return { n, base: input.base };
}
