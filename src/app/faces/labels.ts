/**
 * Words for the face panel, all derived from the task registry (src/core/faceptor/tasks.ts) so names never drift
 * from what the models output.
 */
import { TASKS, TASK_NAMES, type TaskName, type TaskType } from '../../core/faceptor/tasks.ts';
import { headKey } from '../../pipeline/faceptor/select.ts';

/** Spellings the dataset's identifiers cannot carry (CelebA drops the apostrophe). */
const SPECIAL: Readonly<Record<string, string>> = { '5_o_Clock_Shadow': "5 o'clock shadow" };

/** CelebA identifier → plain words: 'Wearing_Hat' → 'Wearing hat', 'Mouth_Slightly_Open' → 'Mouth slightly open'. */
export function humaniseAttribute(name: string): string {
  if (SPECIAL[name]) return SPECIAL[name];
  const words = name
    .split('_')
    .filter(Boolean)
    .map((w) => w.toLowerCase())
    .join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The task whose result sits under `head` in a type's record ('age', 'utkface' → 'age_utkface'). */
export function taskForHead(type: TaskType, head: string): TaskName | undefined {
  return TASK_NAMES.find((t) => TASKS[t].type === type && headKey(t) === head);
}

/** Dataset name of a head for the UI ('UTKFace'); the raw key when the registry does not know it. */
export function headTitle(type: TaskType, head: string): string {
  const task = taskForHead(type, head);
  return task ? TASKS[task].dataset : head;
}

/** Probability at or above which a binary attribute is shown as present. */
export const ATTRIBUTE_ON = 0.5;

/**
 * Attributes with p ≥ 0.5, in the registry's (the CelebA evaluator's) order; names the registry does not list
 * come last so nothing the model said is hidden.
 */
export function attributesOn(attributes: Readonly<Record<string, number>>): { name: string; p: number }[] {
  const order = TASKS.biattr_celeba.type === 'biattr' ? TASKS.biattr_celeba.labels : [];
  const known = order.filter((n) => n in attributes);
  const extra = Object.keys(attributes).filter((n) => !(order as readonly string[]).includes(n));
  return [...known, ...extra]
    .filter((n) => attributes[n] >= ATTRIBUTE_ON)
    .map((name) => ({ name, p: attributes[name] }));
}

/**
 * The label to highlight as the top expression, or null when no label leads (a tie for the highest probability:
 * e.g. an untrained head giving 1/7 to each of the 7 classes must not crown the first one).
 */
export function leadingLabel(rows: readonly { label: string; p: number }[], tolerance = 1e-4): string | null {
  const sorted = [...rows].sort((a, b) => b.p - a.p);
  if (sorted.length === 0) return null;
  if (sorted.length > 1 && sorted[0].p - sorted[1].p <= tolerance) return null;
  return sorted[0].label;
}

/** Expression labels of a head in registry order, with their probability (0 when the result lacks one). */
export function expressionRows(head: string, probs: Readonly<Record<string, number>>): { label: string; p: number }[] {
  const task = taskForHead('affect', head);
  const spec = task ? TASKS[task] : undefined;
  const labels = spec && spec.type === 'affect' ? spec.labels : Object.keys(probs);
  return labels.map((label) => ({ label, p: probs[label] ?? 0 }));
}
