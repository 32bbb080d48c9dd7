/**
 * The one result contract of Faceptor Web: what an analysis returns, declared once and read by the pipeline, the
 * library facade, the browser worker, the CLI's JSON and the UI. Everything is readonly; records are keyed by closed
 * types derived from the task registry (src/core/faceptor/tasks.ts), so a misspelt head or attribute does not compile.
 *
 * Every coordinate is in source-image pixels (pixel centres at integers), like the detector's boxes. Result keys are
 * the short "heads" of the task names (`age_utkface` → `age.utkface`, `align_300w` → `landmarks['300w']`), so several
 * heads of one type sit side by side.
 */
import type { Detection, Point } from './core/types.ts';
import type { Box } from './core/types.ts';
import type {
  AttributeName,
  ExpressionLabel,
  HeadOf,
  LandmarkSetName,
  TaskName,
  Variant,
} from './core/faceptor/tasks.ts';
import type { Precision } from './core/faceptor/manifest.ts';
import type { DetectorChoice } from './options.ts';

export type { AttributeName, ExpressionLabel, LandmarkSetName, TaskName } from './core/faceptor/tasks.ts';
/** Parsing heads: 'celebam' (19 classes), 'lapa' (11). */
export type ParsingHead = HeadOf<'parsing'>;
/** Age heads: 'utkface', 'morph2'. */
export type AgeHead = HeadOf<'age'>;
/** Expression heads: 'affectnet', 'rafdb', 'ferplus' (all in EXPRESSION_LABELS order). */
export type ExpressionHead = HeadOf<'affect'>;

/** Where the models ran: onnxruntime-node's CPU EP, or onnxruntime-web's WASM / WebGPU EP. */
export type ExecutionProvider = 'cpu' | 'wasm' | 'webgpu';

export interface LandmarkSetResult {
  /** One [x, y] per landmark of the set, in the registry's order (TASKS[task].landmarks). */
  readonly points: readonly Point[];
}

export interface ParsingResult {
  /** Class names, index = value in `data` (0 = background). From the task registry. */
  readonly labels: readonly string[];
  /** Image rectangle (whole pixels) that `data` covers; pixels outside it are background. */
  readonly region: Box;
  readonly width: number;
  readonly height: number;
  /** Class per pixel of `region`, row-major, image-aligned: data[j·width + i] is pixel (region.x + i, region.y + j). */
  readonly data: Uint8Array;
}

export interface AgeHeadResult {
  /** Expectation over 0..100 (the official evaluator's decode). */
  readonly years: number;
  /** 101 probabilities (sigmoid, L1-normalised), index = age in years. */
  readonly distribution: readonly number[];
}

export interface ExpressionHeadResult {
  readonly top: ExpressionLabel;
  readonly probs: Readonly<Record<ExpressionLabel, number>>;
}

export interface IdentityResult {
  /** L2-normalised embedding: cosine similarity is a dot product. */
  readonly embedding: readonly number[];
}

/** Share of a task's cross-attention mass per encoder block (Layer-Attention models, opt-in). */
export interface LayerAttentionShare {
  readonly block: number;
  readonly fraction: number;
}

/** Faceptor outputs of one face; a field is present only when one of its tasks ran. */
export interface FaceTaskResults {
  readonly landmarks?: Readonly<Partial<Record<LandmarkSetName, LandmarkSetResult>>>;
  readonly parsing?: Readonly<Partial<Record<ParsingHead, ParsingResult>>>;
  readonly age?: Readonly<Partial<Record<AgeHead, AgeHeadResult>>>;
  readonly expression?: Readonly<Partial<Record<ExpressionHead, ExpressionHeadResult>>>;
  /** CelebA attributes: name → probability (one head in every released variant). */
  readonly attributes?: Readonly<Record<AttributeName, number>>;
  readonly identity?: IdentityResult;
  /** Per task name, only with `layerAttention: true` on a model whose graphs expose the weights. */
  readonly layerAttention?: Readonly<Partial<Record<TaskName, readonly LayerAttentionShare[]>>>;
  /**
   * Tasks that ran but gave no usable result for this face (non-finite outputs, output the decoder refused):
   * task name → what went wrong, in plain words. That task's field is absent; every other field is unaffected.
   */
  readonly taskErrors?: Readonly<Partial<Record<TaskName, string>>>;
}

/**
 * One face: the detection (box, score, six keypoints), the task fields that ran, and — in the video mode only — its
 * track. Still-image analyses never carry the track fields.
 */
export interface FaceAnalysis extends Detection, FaceTaskResults {
  /** Stable id while the face stays in view (video mode). */
  readonly trackId?: number;
  /** Smoothed motion of the box centre, source px per ms: a host may move the overlay on between analyses. */
  readonly velocity?: Point;
  /** ms since this track's landmarks/parsing were computed (0 = this frame). Video mode with 512 tasks only. */
  readonly denseAgeMs?: number;
  /**
   * Motion of the face since its 512 pass, for carried parsing masks: a mask pixel at (x, y) belongs at
   * (a·x − b·y + tx, b·x + a·y + ty) now. Absent when the dense results are fresh (identity). Carried landmarks
   * are already moved and must not be transformed again.
   */
  readonly denseTransform?: readonly [a: number, b: number, tx: number, ty: number];
}

/** Milliseconds per stage of the Faceptor part of one analysis (all faces together). */
export interface FaceptorTimings {
  /** Crop matrices + warp/normalise into the batch tensors. */
  readonly alignMs: number;
  /** Encoder calls (0 when the group had no enabled task). */
  readonly encoder112Ms: number;
  readonly encoder512Ms: number;
  /** Task graph (decoder + interpreter/head) per task. */
  readonly taskMs: Readonly<Partial<Record<TaskName, number>>>;
  /** Output decoding into typed results (softmax, soft-argmax, parsing upsample + mapping to the image). */
  readonly decodeMs: number;
  /** Time inside InferenceSession.run (all stages), as seen by the pipeline. */
  readonly runMs: number;
  readonly totalMs: number;
  /**
   * Session runs per graph file in this call (e.g. `encoder.onnx`: 2, `decoder.onnx`: 2 with every task of a
   * Faceptor package on one face batch). `taskMs` shares a batched run's time equally among the tasks it carried.
   */
  readonly runs: Readonly<Record<string, number>>;
  /**
   * Bytes copied back from the runtime (all outputs that reached JS). On WebGPU the encoder's features stay on the
   * GPU and feed the decoder directly, so only the head outputs count; on CPU backends everything does.
   */
  readonly readBackBytes: number;
}

export interface AnalysisTimings {
  /** Image decode / frame copy into RGBA, measured by the host (0 when the host gave none). */
  readonly decodeMs: number;
  readonly preprocessMs: number;
  /** Detection `session.run` only. */
  readonly runMs: number;
  readonly postprocessMs: number;
  /** decodeMs + everything the analysis did. */
  readonly totalMs: number;
  /** Faceptor stages (present when a model ran). */
  readonly faceptor?: FaceptorTimings;
}

/** How many times each graph ran (one run may carry a batch of faces). */
export interface RunCounts {
  readonly encoder112: number;
  readonly encoder512: number;
  readonly tasks: Readonly<Partial<Record<TaskName, number>>>;
}

/** Provenance of the model that produced the task fields (also the CLI JSON's `model`). */
export interface ModelInfo {
  readonly label: string;
  readonly variant: Variant;
  readonly precision: Precision;
  /** Random/fixture weights: outputs are meaningless; hosts must say so. */
  readonly untrained: boolean;
  readonly sourceFile: string;
  readonly sourceSha256: string;
  readonly step: number | null;
  readonly exporterVersion: string;
  readonly tasks: readonly TaskName[];
}

/** One analysed image or video frame. */
export interface ImageAnalysis {
  /** Source-image size in pixels (what the caller gave). */
  readonly width: number;
  readonly height: number;
  /** Analysed pixels per source pixel (< 1 when the host downscaled a large image before analysis). */
  readonly scale: number;
  /** Best detection score first (image mode); tracks in id order (video mode). */
  readonly faces: readonly FaceAnalysis[];
  /** The detector that found the faces: 'front' / 'back' alone, or 'auto' (both, and tiles of a large image). */
  readonly detector: DetectorChoice;
  readonly provider: ExecutionProvider;
  readonly timings: AnalysisTimings;
  /** The Faceptor model that produced the task fields, and the tasks it ran (absent without a model). */
  readonly model?: ModelInfo;
  readonly tasks?: readonly TaskName[];
  /** Graph runs of this analysis (encoder once per group/framing for all faces, each task once). */
  readonly runs?: RunCounts;
}

/**
 * A result record's entry by a key that comes from outside the type system (a head chosen in the UI, a column of a
 * table, a key read from JSON): undefined when this record has no such entry.
 */
export function entryOf<V>(record: Readonly<Partial<Record<string, V>>> | undefined, key: string): V | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}
