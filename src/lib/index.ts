/**
 * The public library API, shared by the Node and browser entries: the `Faceptor` facade (src/faceptor.ts) with its
 * image mode `analyze(image)` and video mode `analyzeVideoFrame(frame, timestampMs)`, the options and result
 * contracts (src/options.ts, src/result.ts), the task registry and the error codes. The host injects the runtime:
 * `createNodeBackend()` (tools/node-host) in Node, `createOrtWebBackend()` in the browser; and the model package's
 * files through a `ModelPackageSource` (`folderPackageSource(dir)` in Node, `urlPackageSource` / `filesPackageSource`
 * in the browser).
 *
 * @example
 * ```ts
 * const faceptor = await createFaceptor({
 *   backend: createNodeBackend(), detectorModels: await loadBlazeFaceModels(), model: folderPackageSource('models/full'),
 * });
 * const result = await faceptor.analyze(await loadImageFile('face.jpg'), { tasks: ['landmarks', 'age'] });
 * result.faces[0]?.landmarks?.['300w']?.points; // [x, y] in image pixels
 * result.faces[0]?.age?.utkface?.years;
 * await faceptor.dispose();
 * ```
 */
export { Faceptor, createFaceptor, type FaceptorOptions, type AnalyzeCallOptions } from '../faceptor.ts';
export type * from '../options.ts';
export type * from '../result.ts';
export type { Box, Detection, Point, RgbaImage } from '../core/types.ts';
export { KEYPOINT_NAMES } from '../core/types.ts';
export type { InferenceBackend, InferenceSession, TensorData } from '../pipeline/backend.ts';
export type {
  BlazeFaceModel,
  DetectOptions,
  DetectResult,
  DetectTimings,
  DetectorModelBytes,
  FaceDetector,
} from '../pipeline/detector.ts';
export { createFaceDetector, ModelLoadError } from '../pipeline/detector.ts';
export type { VideoAnalyzerOptions } from '../pipeline/video.ts';
export * from '../pipeline/faceptor/index.ts';
export {
  TASK_NAMES,
  TASKS,
  EXPRESSION_LABELS,
  CELEBA_ATTRIBUTES,
  type TaskName,
  type TaskType,
} from '../core/faceptor/tasks.ts';
export { CodedError, ERROR_CODES, errorInfo, isErrorCode, type ErrorCode, type ErrorInfo } from '../core/errors.ts';
