/**
 * The contract between the UI thread and the perception worker (reached through comlink).
 * Results are the shared pipeline's types (src/pipeline/analyze.ts), so the app, the CLI and the library agree on
 * every field; video frames add a track id per face.
 */
import type { RgbaImage } from '../src/core/types.ts';
import type { TaskName } from '../src/core/faceptor/tasks.ts';
import type { AnalysisTimings, FaceAnalysis } from '../src/pipeline/analyze.ts';
import type { ModelInfo, RunCounts } from '../src/pipeline/faceptor/types.ts';
import type { ProviderName, ProviderPreference } from './ort-web/provider-plan.ts';

export type { ProviderName, ProviderPreference };
export type DetectorModel = 'front' | 'back' | 'auto';

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

export interface AnalysisOptions {
  readonly model?: DetectorModel;
  readonly minScore?: number;
  readonly maxFaces?: number;
  /**
   * Faceptor tasks to run on every face (exact task names the loaded package has; the UI resolves heads).
   * Absent or empty: detection only. Ignored when no Faceptor model is loaded.
   */
  readonly tasks?: readonly TaskName[];
  /** 512 framing, see AnalyzeFacesOptions.denseCrops. Default 'shared'. */
  readonly denseCrops?: 'shared' | 'exact';
  /** Layer-Attention models: also return each task's attention mass per encoder block (only when shown). */
  readonly layerAttention?: boolean;
}

/** Per-stage timings (decode/copy, detection pre/run/post, and the Faceptor stages when a model ran). */
export type StageTimings = AnalysisTimings;

/** One face of a video frame: smoothed box/keypoints, a stable track id, and how old its 512 results are. */
export interface FrameFace extends FaceAnalysis {
  /** Stable id while the face stays in view (video only). */
  readonly trackId?: number;
  /** Age in ms of the landmarks/parsing shown (0 = computed on this frame; carried from an earlier frame otherwise). */
  readonly denseAgeMs?: number;
  /** Carried parsing masks: where a mask pixel belongs now (see TrackedFaceAnalysis.denseTransform). */
  readonly denseTransform?: readonly [number, number, number, number];
  /** Smoothed motion of the box centre, source px per ms: the overlay moves the face on between analyses. */
  readonly velocity?: readonly [number, number];
}

export interface ImageAnalysis {
  /** Source-image size in pixels (what the user gave us). */
  readonly width: number;
  readonly height: number;
  /** analysed pixels per source pixel (< 1 when a large image was downscaled before analysis). */
  readonly scale: number;
  /** Faces in source-image pixels, with the Faceptor fields of the tasks that ran. */
  readonly faces: readonly FrameFace[];
  /** 'auto': both models (and tiles of a large image) merged. */
  readonly detectorModel: 'front' | 'back' | 'auto';
  readonly provider: ProviderName;
  readonly timings: StageTimings;
  /** The Faceptor model that produced the task fields, and the tasks it ran (absent without a model). */
  readonly model?: ModelInfo;
  readonly tasks?: readonly TaskName[];
  readonly runs?: RunCounts;
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
  /** Drops the current model (detection keeps working). */
  unloadModel(): Promise<void>;
  /** What the model cache holds, and clearing it (the current model stays loaded in memory). */
  modelCacheInfo(): Promise<ModelCacheInfo>;
  clearModelCache(): Promise<ModelCacheInfo>;
  /** Forgets the video tracks (camera stopped or switched): the next frame starts new tracks. */
  resetVideo(): Promise<void>;
}
