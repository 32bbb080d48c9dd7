/**
 * One task's failure for one face, in plain words, so a host can show it beside the other tasks' results instead
 * of failing the whole frame (a head with broken weights gives NaN; the detector and the other heads are fine).
 * Pure: the pipeline checks each task's raw outputs here before decoding them.
 */
import { TASKS, TASK_TYPE_TITLES, type TaskName } from './tasks.ts';
import type { RawTaskOutput } from './decodeTask.ts';
import type { ErrorCode } from '../errors.ts';

/** Thrown when a task's raw outputs hold NaN or ±∞ (decoding them would give nonsense or throw deep inside). */
export class NonFiniteOutputError extends Error {
  readonly code = 'task-output' satisfies ErrorCode;
  constructor(
    readonly task: TaskName,
    readonly output: string,
    readonly count: number,
    readonly total: number,
  ) {
    super(`${count} of ${total} values of its output "${output}" are not finite numbers (NaN or ∞)`);
    this.name = 'NonFiniteOutputError';
  }
}

/** "Identity (MS1MV3)": the name the app shows for a task's head. */
export function taskTitle(task: TaskName): string {
  const spec = TASKS[task];
  return `${TASK_TYPE_TITLES[spec.type]} (${spec.dataset})`;
}

/** Throws NonFiniteOutputError for the first output of `raw` that holds a non-finite value. */
export function checkFiniteOutputs(task: TaskName, raw: RawTaskOutput): void {
  for (const [name, values] of Object.entries(raw) as [string, ArrayLike<number> | undefined][]) {
    if (!values) continue;
    let bad = 0;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad++;
    if (bad > 0) throw new NonFiniteOutputError(task, name, bad, values.length);
  }
}

/** The message a host shows for a task that failed on one face: which task, what went wrong, what is left out. */
export function taskFailureMessage(task: TaskName, err: unknown): string {
  const title = taskTitle(task);
  if (err instanceof NonFiniteOutputError) {
    return `${title} failed for this face: the model gave invalid numbers (${err.message}), so this result is left out`;
  }
  const detail = err instanceof Error ? err.message : String(err);
  return `${title} failed for this face: its output could not be decoded (${detail}), so this result is left out`;
}
