/** Errors the pipeline reports to its hosts (CLI, worker, library) with enough context to act on. */
import type { ErrorCode } from '../core/errors.ts';

/** A model file is missing, truncated or not the graph we expect. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  readonly code = 'detector-model' satisfies ErrorCode;
  constructor(
    /** The file that failed, e.g. public/models/blazeface/face_detection_front_128.onnx. */
    readonly file: string,
    reason: string,
    /** What the user can do about it. */
    readonly remedy = 'Restore it with `npm run setup:models`.',
    options?: { cause?: unknown },
  ) {
    super(`Could not load the model ${file}: ${reason}. ${remedy}`, options);
  }
}
