/**
 * The contract between the UI thread and the perception worker (reached through comlink): the worker's lifecycle
 * (engine, model packages, cache). Analysis options and results are the library's one contract (src/options.ts,
 * src/result.ts), so the app, the CLI and the library agree on every field; camera frames add track fields.
 */
import type { RgbaImage } from '../src/core/types.ts';
import type { AnalysisOptions } from '../src/options.ts';
import type { ImageAnalysis, ModelInfo } from '../src/result.ts';
import type { ProviderName, ProviderPreference } from './ort-web/provider-plan.ts';

export type { ProviderName, ProviderPreference };

export interface EngineInit {
  readonly preference: ProviderPreference;
  /** Absolute URL of the app root; model files are fetched relative to it. */
  readonly baseUrl: string;
  /** Cap on WASM threads from `?threads=N` (null/absent: min(hardwareConcurrency, 4) when cross-origin isolated). */
  readonly wasmThreads?: number | null;
}

export interface EngineStatus {
  readonly provider: ProviderName;
  /** Why the engine is not on WebGPU (null when it is). */
  readonly fallbackReason: string | null;
  /** Threads of the wasm runtime (1 unless the page is cross-origin isolated). */
  readonly wasmThreads: number;
  /** WebGPU device has `shader-f16` (null off WebGPU or unknown); the maths is float32 either way. */
  readonly shaderF16?: boolean | null;
  /** Detector models that loaded ('back' may be missing: images then use 'front'). */
  readonly detectorModels: readonly ('front' | 'back')[];
  /** Non-fatal problems worth showing (e.g. the 256 model failed to load). */
  readonly warnings: readonly string[];
}

/**
 * Where a Faceptor model package comes from:
 * - 'url': the package folder's URL (its faceptor.json sits inside), e.g. from public/models/index.json or `?model=`;
 *   files are cached (Cache API) so a second visit starts offline.
 * - 'files': files the user dropped or picked (a folder: paths from webkitRelativePath; the top folder is dropped).
 * - 'stored': a package exported in this browser from a dropped checkpoint (kept in OPFS, see browser-export/).
 */
export type ModelSource =
  | {
      readonly kind: 'stored';
      readonly id: string;
      readonly name: string;
      readonly sourceFile: string;
      readonly sourceSha256: string;
    }
  | { readonly kind: 'url'; readonly url: string }
  | {
      readonly kind: 'files';
      readonly files: readonly File[];
      readonly name: string;
      /**
       * Each file's path, parallel to `files`, written like webkitRelativePath ('<folder>/faceptor.json', or just
       * 'faceptor.json' for loose files). Drag-and-drop folders give Files without webkitRelativePath, so the UI walks
       * the entries and passes the paths here. Absent: use each file's webkitRelativePath, else its name.
       */
      readonly paths?: readonly string[];
    };

export interface ModelLoadProgress {
  readonly loaded: number;
  readonly total: number;
  /** Package file being read. */
  readonly file: string;
  /** True while bytes come from the local cache rather than the network. */
  readonly fromCache: boolean;
  /** 'verifying': the file is read and its sha256 is being checked (seconds for a large weights file). */
  readonly phase?: 'reading' | 'verifying';
}

/** The Faceptor model the worker holds. */
export interface ModelStatus {
  readonly info: ModelInfo;
  /** Where it came from (URL or "dropped folder <name>"). */
  readonly origin: string;
  /** True when the graphs expose cross-attention weights (Layer-Attention chart available). */
  readonly hasLayerAttention: boolean;
  /** Package bytes (all files). */
  readonly bytes: number;
}

export interface ModelCacheInfo {
  readonly entries: number;
  readonly bytes: number;
}

/** Status pushes from the worker (e.g. WebGPU device lost → now on WASM). */
export type EngineListener = (status: EngineStatus, message: string) => void;

export interface PerceptionApi {
  /** Idempotent: a second call with the same preference returns the first call's result (React StrictMode). */
  init(options: EngineInit, listener?: EngineListener): Promise<EngineStatus>;
  /**
   * A video frame: a VideoFrame (preferred: no copy on the UI thread, one YUV→RGBA conversion in the worker) or an
   * ImageBitmap (browsers without WebCodecs). Transferred, and closed by the worker.
   * Frames are tracked: faces carry a `trackId`, boxes/keypoints/landmarks are smoothed, and the 512 tasks
   * (landmarks, parsing) are refreshed per track at a lower rate when the device is slow (`denseAgeMs`).
   */
  analyzeFrame(frame: VideoFrame | ImageBitmap, options?: AnalysisOptions): Promise<ImageAnalysis>;
  /** An encoded image file (any format the browser decodes). Throws a clear error for non-images. */
  analyzeImage(file: Blob, options?: AnalysisOptions): Promise<ImageAnalysis>;
  /** RGBA pixels already in memory (long side ≤ 4096). */
  analyzePixels(image: RgbaImage, options?: AnalysisOptions): Promise<ImageAnalysis>;
  /**
   * Loads and verifies a Faceptor package, then makes it the current model. A refused package (ModelPackageError:
   * corrupt, incomplete, foreign, newer format) rejects with a message naming the problem and leaves the previous
   * model in place.
   */
  loadModel(source: ModelSource, onProgress?: (progress: ModelLoadProgress) => void): Promise<ModelStatus>;
  /**
   * The checkpoint sha256 of a package stored in this browser, recorded after it was loaded (the page stores an
   * export before hashing its checkpoint): when the current model is that stored package, its info and new results
   * carry the digest from now on, with no reload. Resolves with the updated status, or null when the current model
   * is another one (nothing changes).
   */
  recordSourceSha256(storedId: string, sha256: string): Promise<ModelStatus | null>;
  /** Drops the current model (detection keeps working). */
  unloadModel(): Promise<void>;
  /** What the model cache holds, and clearing it (the current model stays loaded in memory). */
  modelCacheInfo(): Promise<ModelCacheInfo>;
  clearModelCache(): Promise<ModelCacheInfo>;
  /** Forgets the video tracks (camera stopped or switched): the next frame starts new tracks. */
  resetVideo(): Promise<void>;
}
