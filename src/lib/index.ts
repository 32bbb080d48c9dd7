/**
 * The public library API: `createFaceptor({ backend, detectorModels, model? })` → `analyze(image, { tasks })`,
 * the same pipeline the CLI and the browser worker run. The host injects the runtime: `createNodeBackend()`
 * (tools/node-host) in Node, an onnxruntime-web backend in the browser; and the model package's files through a
 * `ModelPackageSource` (`folderPackageSource(dir)` in Node, a fetch/Cache API source in the browser).
 *
 * @example
 * ```ts
 * const backend = createNodeBackend();
 * const faceptor = await createFaceptor({
 *   backend, detectorModels: await loadBlazeFaceModels(), model: folderPackageSource('public/models/full'),
 * });
 * const result = await faceptor.analyze(await loadImageFile('face.jpg'), { tasks: ['landmarks', 'age'] });
 * result.faces[0].landmarks?.['300w'].points; // [x, y] in image pixels
 * result.faces[0].age?.utkface.years;
 * await faceptor.dispose();
 * ```
 */
import type { RgbaImage } from '../core/types.ts';
import type { InferenceBackend } from '../pipeline/backend.ts';
import { createFaceDetector, type DetectorModelBytes, type FaceDetector } from '../pipeline/detector.ts';
import { analyzeImage, type AnalyzeOptions, type ImageAnalysis } from '../pipeline/analyze.ts';
import { FaceptorModel, type AnalyzeFacesOptions } from '../pipeline/faceptor/model.ts';
import { loadFaceptorPackage, type LoadPackageOptions } from '../pipeline/faceptor/package.ts';
import type { ModelPackageSource } from '../pipeline/faceptor/source.ts';

export type { Box, Detection, Point, RgbaImage } from '../core/types.ts';
export { KEYPOINT_NAMES } from '../core/types.ts';
export type { InferenceBackend, InferenceSession, TensorData } from '../pipeline/backend.ts';
export type {
  BlazeFaceModel,
  DetectOptions,
  DetectResult,
  DetectTimings,
  DetectorModelChoice,
  DetectorModelUsed,
  DetectorModelBytes,
  FaceDetector,
} from '../pipeline/detector.ts';
export { createFaceDetector, ModelLoadError } from '../pipeline/detector.ts';
export type { AnalyzeOptions, AnalysisTimings, FaceAnalysis, ImageAnalysis } from '../pipeline/analyze.ts';
export type { FaceptorRequest } from '../pipeline/analyze.ts';
export { analyzeImage } from '../pipeline/analyze.ts';
export * from '../pipeline/faceptor/index.ts';
export { TASK_NAMES, TASKS, type TaskName, type TaskType } from '../core/faceptor/tasks.ts';
export { CodedError, ERROR_CODES, errorInfo, isErrorCode, type ErrorCode, type ErrorInfo } from '../core/errors.ts';

/** Per-call options of `Faceptor.analyze`: detection options plus which Faceptor tasks to run. */
export interface FaceptorAnalyzeOptions extends Omit<AnalyzeOptions, 'faceptor'>, Omit<AnalyzeFacesOptions, 'tasks'> {
  /** `false` skips the Faceptor tasks for this call (detection only). */
  readonly tasks?: AnalyzeFacesOptions['tasks'] | false;
}

export interface FaceptorOptions {
  readonly backend: InferenceBackend;
  /** BlazeFace ONNX bytes (front 128 required, back 256 optional). */
  readonly detectorModels: DetectorModelBytes;
  /**
   * Optional Faceptor model: a loaded FaceptorModel (the caller keeps ownership), or a package source that is
   * loaded and verified here (released by dispose()). Without it, analyze() detects faces only.
   */
  readonly model?: FaceptorModel | ModelPackageSource;
  readonly loadOptions?: LoadPackageOptions;
  /** Defaults for every analyze() call; per-call options override them. */
  readonly defaults?: FaceptorAnalyzeOptions;
}

export interface Faceptor {
  readonly provider: string;
  readonly detector: FaceDetector;
  /** The Faceptor model, when one was given. */
  readonly model?: FaceptorModel;
  analyze(image: RgbaImage, options?: FaceptorAnalyzeOptions): Promise<ImageAnalysis>;
  dispose(): Promise<void>;
}

export async function createFaceptor(options: FaceptorOptions): Promise<Faceptor> {
  const { backend, detectorModels, defaults = {} } = options;
  const detector = await createFaceDetector(backend, detectorModels);
  let model: FaceptorModel | undefined;
  const owned = options.model !== undefined && !(options.model instanceof FaceptorModel);
  try {
    model =
      options.model === undefined || options.model instanceof FaceptorModel
        ? options.model
        : await loadFaceptorPackage(options.model, backend, options.loadOptions);
  } catch (err) {
    await detector.release();
    throw err;
  }
  return {
    provider: backend.provider,
    detector,
    model,
    analyze: (image, perCall = {}) => {
      const { tasks, denseCrops, layerAttention, ...rest } = { ...defaults, ...perCall };
      const faceptor = model && tasks !== false ? { model, tasks, denseCrops, layerAttention } : undefined;
      return analyzeImage(detector, backend.provider, image, { ...rest, faceptor });
    },
    dispose: async () => {
      await detector.release();
      if (owned) await model?.release();
    },
  };
}
