/**
 * The one options contract of an analysis, declared once: the library facade (`Faceptor.analyze` /
 * `analyzeVideoFrame`), the browser worker, the CLI's flags and the UI's settings all speak it.
 */

/**
 * Which BlazeFace model finds the faces: 'front' (128 px input: faces near the camera, the video default), 'back'
 * (256 px: smaller faces), or 'auto' (both on the whole image, plus the 256 model on tiles of a large photo, merged:
 * the still-image default). A result's `detector` says which one produced its faces.
 */
export type DetectorChoice = 'front' | 'back' | 'auto';

/** Framing of the 512 tasks: one shared framing per face (one encoder pass, default) or each task's own training framing. */
export type DenseCrops = 'shared' | 'exact';

/**
 * Which Faceptor tasks to run: `'default'` (one head per type), `'all'` (every head the package has), or a list mixing
 * task names (`age_morph2`), types or their result-field aliases (`landmarks` → that type's default head) and the two
 * presets. Resolved against the loaded package; a word it does not know is an error (code `task-selection`).
 */
export type TaskRequest = 'default' | 'all' | readonly string[];

export interface AnalysisOptions {
  /** Default: 'auto' for still images, 'front' in the video mode. */
  readonly detector?: DetectorChoice;
  /** Minimum face score in [0, 1]. Default 0.5 (MediaPipe's min_score_thresh). */
  readonly minScore?: number;
  /** Keep at most this many faces (best first). Default: all. */
  readonly maxFaces?: number;
  /**
   * Faceptor tasks to run on every face (ignored without a model). Default 'default'; `false` or an empty list:
   * detection only.
   */
  readonly tasks?: TaskRequest | false;
  /** Default 'shared'. */
  readonly denseCrops?: DenseCrops;
  /**
   * Layer-Attention models: also report each task's cross-attention mass per encoder block (the graphs must expose
   * it, see `FaceptorModel.hasLayerAttentionWeights`). Default false.
   */
  readonly layerAttention?: boolean;
}

/** What a host knows about the pixels it hands over; reported back, never changes what is detected. */
export interface SourceInfo {
  /** Time the host spent decoding the file or converting the frame into RGBA, reported in `timings.decodeMs`. */
  readonly decodeMs?: number;
  /**
   * Size of the original image when the pixels given are a downscaled copy of it: faces are mapped back to the
   * original's pixels and `scale` reports given width / original width.
   */
  readonly sourceSize?: { readonly width: number; readonly height: number };
}
