/**
 * The contract between the UI thread and the perception worker (reached through comlink).
 * Issue 4 extends `AnalysisOptions` (tasks to run) and `ImageAnalysis.faces` (Faceptor results per face) without
 * changing the shape of the calls.
 */
import type { Detection, RgbaImage } from '../src/core/types.ts';
import type { ProviderName, ProviderPreference } from './ort-web/provider-plan.ts';

export type { ProviderName, ProviderPreference };
export type DetectorModel = 'front' | 'back' | 'auto';

export interface EngineInit {
  readonly preference: ProviderPreference;
  /** Absolute URL of the app root; model files are fetched relative to it. */
  readonly baseUrl: string;
}

export interface EngineStatus {
  readonly provider: ProviderName;
  /** Why the engine is not on WebGPU (null when it is). */
  readonly fallbackReason: string | null;
  /** Detector models that loaded ('back' may be missing: images then use 'front'). */
  readonly detectorModels: readonly ('front' | 'back')[];
  /** Non-fatal problems worth showing (e.g. the 256 model failed to load). */
  readonly warnings: readonly string[];
}

export interface AnalysisOptions {
  readonly model?: DetectorModel;
  readonly minScore?: number;
  readonly maxFaces?: number;
}

export interface StageTimings {
  /** Image decode / frame copy into RGBA (and downscale when needed). */
  readonly decodeMs: number;
  readonly preprocessMs: number;
  /** `session.run` only. */
  readonly runMs: number;
  readonly postprocessMs: number;
  readonly totalMs: number;
}

export interface ImageAnalysis {
  /** Source-image size in pixels (what the user gave us). */
  readonly width: number;
  readonly height: number;
  /** analysed pixels per source pixel (< 1 when a large image was downscaled before analysis). */
  readonly scale: number;
  /** Faces in source-image pixels. */
  readonly faces: readonly Detection[];
  readonly detectorModel: 'front' | 'back';
  readonly provider: ProviderName;
  readonly timings: StageTimings;
}

/** Status pushes from the worker (e.g. WebGPU device lost → now on WASM). */
export type EngineListener = (status: EngineStatus, message: string) => void;

export interface PerceptionApi {
  /** Idempotent: a second call with the same preference returns the first call's result (React StrictMode). */
  init(options: EngineInit, listener?: EngineListener): Promise<EngineStatus>;
  /**
   * A video frame: a VideoFrame (preferred: no copy on the UI thread, one YUV→RGBA conversion in the worker) or an
   * ImageBitmap (browsers without WebCodecs). Transferred, and closed by the worker.
   */
  analyzeFrame(frame: VideoFrame | ImageBitmap, options?: AnalysisOptions): Promise<ImageAnalysis>;
  /** An encoded image file (any format the browser decodes). Throws a clear error for non-images. */
  analyzeImage(file: Blob, options?: AnalysisOptions): Promise<ImageAnalysis>;
  /** RGBA pixels already in memory (long side ≤ 4096). */
  analyzePixels(image: RgbaImage, options?: AnalysisOptions): Promise<ImageAnalysis>;
}
