/** Faceptor tasks in the pipeline: package loading, the model (analyzeFaces), task selection, JSON helpers. */
export * from './types.ts';
export * from './errors.ts';
export type { ModelPackageSource } from './source.ts';
export { loadFaceptorPackage, readManifest, type LoadPackageOptions } from './package.ts';
export { FaceptorModel, CROSS_ATTENTION_OUTPUT, type AnalyzeFacesOptions } from './model.ts';
export { resolveTasks, defaultHead, headKey, TYPE_ALIASES, TaskSelectionError } from './select.ts';
export { encodeRle, decodeRle, parsingToJson, faceTaskResultsToJson, type ParsingJson } from './json.ts';
