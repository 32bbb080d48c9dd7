/**
 * Which tasks to run: the caller names tasks, task types or one of two presets, and we resolve that against what
 * the package actually contains. Default heads (one per type) where Faceptor-Full has several:
 * - landmarks: 300W (68 points, with contour lines; the most widely used set), then WFLW, COFW, AFLW;
 * - parsing: CelebAMask-HQ (19 classes incl. hair, neck, glasses), then LaPa;
 * - age: UTKFace (0–116 years in training, covers children) then MORPH II (16–77 only);
 * - expression: RAF-DB (in-the-wild photos; the Layer-Attention release was fine-tuned on it), AffectNet, FERPlus.
 */
import { TASKS, isTaskName, type TaskName, type TaskType } from '../../core/faceptor/tasks.ts';
import type { ErrorCode } from '../../core/errors.ts';

/** Result field names of FaceTaskResults, accepted as aliases of task types in requests. */
export const TYPE_ALIASES: Readonly<Record<string, TaskType>> = {
  landmarks: 'align',
  align: 'align',
  parsing: 'parsing',
  age: 'age',
  expression: 'affect',
  affect: 'affect',
  attributes: 'biattr',
  biattr: 'biattr',
  identity: 'recog',
  recog: 'recog',
};

const PREFERENCE: Readonly<Record<TaskType, readonly TaskName[]>> = {
  align: ['align_300w', 'align_wflw', 'align_cofw', 'align_aflw'],
  parsing: ['parsing_celebam', 'parsing_lapa'],
  age: ['age_utkface', 'age_morph2'],
  affect: ['affect_rafdb', 'affect_affectnet', 'affect_ferplus'],
  biattr: ['biattr_celeba'],
  recog: ['recog_ms1mv3'],
};

import type { TaskRequest } from '../../options.ts';

export class TaskSelectionError extends Error {
  override readonly name = 'TaskSelectionError';
  readonly code = 'task-selection' satisfies ErrorCode;
}

/** The package's preferred head of a type, or undefined when it has none. */
export function defaultHead(type: TaskType, available: readonly TaskName[]): TaskName | undefined {
  return PREFERENCE[type].find((t) => available.includes(t));
}

/** Resolves a request to task names the package has, in registry order. Unknown words / absent tasks throw. */
export function resolveTasks(request: TaskRequest, available: readonly TaskName[]): TaskName[] {
  const words = typeof request === 'string' ? [request] : request;
  const chosen = new Set<TaskName>();
  for (const raw of words) {
    const w = raw.trim();
    if (!w) continue;
    if (w === 'all') available.forEach((t) => chosen.add(t));
    else if (w === 'default') {
      for (const type of Object.keys(PREFERENCE) as TaskType[]) {
        const t = defaultHead(type, available);
        if (t) chosen.add(t);
      }
    } else if (isTaskName(w)) {
      if (!available.includes(w))
        throw new TaskSelectionError(`this model has no task ${w} (it has: ${available.join(', ')})`);
      chosen.add(w);
    } else if (w in TYPE_ALIASES) {
      const t = defaultHead(TYPE_ALIASES[w], available);
      if (!t) throw new TaskSelectionError(`this model has no ${w} task`);
      chosen.add(t);
    } else {
      throw new TaskSelectionError(
        `unknown task '${w}': use a task name (${available.join(', ')}), a type (${Object.keys(TYPE_ALIASES).join(', ')}), 'default' or 'all'`,
      );
    }
  }
  return available.filter((t) => chosen.has(t));
}

/** Result key of a task inside its type's record: the name after the type prefix (`align_300w` → `300w`). */
export function headKey(task: TaskName): string {
  return task.slice(task.indexOf('_') + 1);
}

/** Group of a task (112 or 512) — re-exported for hosts that schedule dense tasks at a lower rate. */
export const groupOf = (task: TaskName) => TASKS[task].group;
