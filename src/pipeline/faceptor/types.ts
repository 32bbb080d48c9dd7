/**
 * What FaceptorModel.analyzeFaces returns for the faces of one frame. The per-face fields and timings are the result
 * contract's (src/result.ts); this adds only the model-level summary the pipeline folds into an ImageAnalysis.
 */
import type { TaskName } from '../../core/faceptor/tasks.ts';
import type { FaceTaskResults, FaceptorTimings, RunCounts } from '../../result.ts';

export interface FaceptorAnalysis {
  /** One entry per input face, same order. */
  readonly faces: FaceTaskResults[];
  /** Tasks that actually ran (the request, resolved against the package). */
  readonly tasks: readonly TaskName[];
  readonly timings: FaceptorTimings;
  readonly runs: RunCounts;
}
