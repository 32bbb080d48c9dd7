/**
 * The public library API: `createFaceptor({ backend, detectorModels })` → `analyze(image)`, the same pipeline the
 * CLI and the browser worker run. The host injects the runtime: `createNodeBackend()` (tools/node-host) in Node,
 * an onnxruntime-web backend in the browser.
 */
import type { RgbaImage } from '../core/types.ts';
import type { InferenceBackend } from '../pipeline/backend.ts';
import { createFaceDetector, type DetectorModelBytes, type FaceDetector } from '../pipeline/detector.ts';
import { analyzeImage, type AnalyzeOptions, type ImageAnalysis } from '../pipeline/analyze.ts';

export type { Box, Detection, Point, RgbaImage } from '../core/types.ts';
export { KEYPOINT_NAMES } from '../core/types.ts';
export type { InferenceBackend, InferenceSession, TensorData } from '../pipeline/backend.ts';
export type { BlazeFaceModel, DetectOptions, DetectResult, DetectTimings, DetectorModelChoice, DetectorModelBytes, FaceDetector } from '../pipeline/detector.ts';
export { createFaceDetector, ModelLoadError } from '../pipeline/detector.ts';
export type { AnalyzeOptions, AnalysisTimings, FaceAnalysis, ImageAnalysis } from '../pipeline/analyze.ts';
export { analyzeImage } from '../pipeline/analyze.ts';

export interface FaceptorOptions {
  readonly backend: InferenceBackend;
  /** BlazeFace ONNX bytes (front 128 required, back 256 optional). */
  readonly detectorModels: DetectorModelBytes;
  /** Defaults for every analyze() call; per-call options override them. */
  readonly defaults?: AnalyzeOptions;
}

export interface Faceptor {
  readonly provider: string;
  readonly detector: FaceDetector;
  analyze(image: RgbaImage, options?: AnalyzeOptions): Promise<ImageAnalysis>;
  dispose(): Promise<void>;
}

export async function createFaceptor(options: FaceptorOptions): Promise<Faceptor> {
  const { backend, detectorModels, defaults = {} } = options;
  const detector = await createFaceDetector(backend, detectorModels);
  return {
    provider: backend.provider,
    detector,
    analyze: (image, perCall = {}) => analyzeImage(detector, backend.provider, image, { ...defaults, ...perCall }),
    dispose: () => detector.release(),
  };
}
