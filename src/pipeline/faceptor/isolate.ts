/**
 * Per-task failure isolation: one task's outputs for one face are checked and decoded on their own, so a head that
 * gives NaN (or output the decoder refuses) costs only its own field. The face keeps its box and every other
 * task, and carries `taskErrors[task]` in plain words instead (see FaceTaskResults.taskErrors).
 */
import type { RawTaskOutput } from '../../core/faceptor/decodeTask.ts';
import { checkFiniteOutputs, taskFailureMessage } from '../../core/faceptor/task-failure.ts';
import type { TaskName } from '../../core/faceptor/tasks.ts';
import type { FaceTaskResults } from '../../result.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Checks `raw` for non-finite values, then runs `decode` (which writes the task's field on `face`); either failing
 * records the task's error on `face` instead of throwing. Returns true when the task's result was placed.
 */
export function decodeIsolated(
  face: Mutable<FaceTaskResults>,
  task: TaskName,
  raw: RawTaskOutput,
  decode: () => void,
): boolean {
  try {
    checkFiniteOutputs(task, raw);
    decode();
    return true;
  } catch (err) {
    face.taskErrors = { ...face.taskErrors, [task]: taskFailureMessage(task, err) };
    return false;
  }
}
