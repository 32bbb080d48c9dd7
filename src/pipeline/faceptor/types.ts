/**
 * Typed results of the Faceptor tasks for one face, shared by the library, the CLI and the browser worker.
 * Every coordinate is in source-image pixels (pixel centres at integers), like the detector's boxes.
 * Result keys are short "heads" derived from the task names (`age_utkface` → age.utkface, `align_300w` →
 * landmarks['300w']) so several heads of one type can sit side by side.
 */
import type { Box, Point } from '../../core/types.ts';
import type { TaskName } from '../../core/faceptor/tasks.ts';

export interface LandmarkSetResult {
  /** One [x, y] per landmark of the set, in the registry's order (TASKS[task].landmarks). */
  readonly points: Point[];
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
  readonly distribution: number[];
}

export interface ExpressionHeadResult {
  readonly top: string;
  readonly probs: Record<string, number>;
}

export interface IdentityResult {
  /** L2-normalised embedding: cosine similarity is a dot product. */
  readonly embedding: number[];
}

/** Share of a task's cross-attention mass per encoder block (Layer-Attention models, opt-in). */
export interface LayerAttentionShare {
  readonly block: number;
  readonly fraction: number;
}

/** Faceptor outputs of one face; a field is present only when one of its tasks ran. */
export interface FaceTaskResults {
  readonly landmarks?: Record<string, LandmarkSetResult>;
  readonly parsing?: Record<string, ParsingResult>;
  readonly age?: Record<string, AgeHeadResult>;
  readonly expression?: Record<string, ExpressionHeadResult>;
  /** CelebA attributes: name → probability (one head in every released variant). */
  readonly attributes?: Record<string, number>;
  readonly identity?: IdentityResult;
  /** Per task name, only with `layerAttention: true` on a model whose graphs expose the weights. */
  readonly layerAttention?: Partial<Record<TaskName, LayerAttentionShare[]>>;
  /**
   * Tasks that ran but gave no usable result for this face (non-finite outputs, output the decoder refused):
   * task name → what went wrong, in plain words. That task's field is absent; every other field is unaffected.
   */
  readonly taskErrors?: Partial<Record<TaskName, string>>;
}

/** Milliseconds per stage for one analyzeFaces call (all faces of the frame together). */
export interface FaceptorTimings {
  /** Crop matrices + warp/normalise into the batch tensors. */
  readonly alignMs: number;
  /** Encoder calls (0 when the group had no enabled task). */
  readonly encoder112Ms: number;
  readonly encoder512Ms: number;
  /** Task graph (decoder + interpreter/head) per task. */
  readonly taskMs: Partial<Record<TaskName, number>>;
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

/** How many times each graph ran (one run may carry a batch of faces). */
export interface RunCounts {
  encoder112: number;
  encoder512: number;
  tasks: Partial<Record<TaskName, number>>;
}

export interface FaceptorAnalysis {
  /** One entry per input face, same order. */
  readonly faces: FaceTaskResults[];
  /** Tasks that actually ran (the request, resolved against the package). */
  readonly tasks: readonly TaskName[];
  readonly timings: FaceptorTimings;
  readonly runs: RunCounts;
}

/** Provenance summary for UIs and the CLI JSON (`model` at the top level). */
export interface ModelInfo {
  readonly label: string;
  readonly variant: string;
  readonly precision: string;
  /** Random/fixture weights: outputs are meaningless; hosts must say so. */
  readonly untrained: boolean;
  readonly sourceFile: string;
  readonly sourceSha256: string;
  readonly step: number | null;
  readonly exporterVersion: string;
  readonly tasks: readonly TaskName[];
}
