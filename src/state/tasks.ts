/**
 * Which Faceptor tasks run, per task type: on/off (on = run it AND show it) and, where a model has several heads of
 * one type (Faceptor-Full: four landmark sets, two parsings, two ages, three expressions), which head. Choices are
 * kept per type, not per task name, so they survive switching models; a head the new model lacks falls back to the
 * package's default head. Persisted in localStorage.
 */
import { create } from 'zustand';
import { TASKS, TASK_TYPE_TITLES, isTaskName, type TaskName, type TaskType } from '../core/faceptor/tasks.ts';
import { defaultHead } from '../pipeline/faceptor/select.ts';

const STORAGE_KEY = 'faceptor.tasks.v1';

/** Task types in the registry's display order. */
export const TASK_TYPES = Object.keys(TASK_TYPE_TITLES) as TaskType[];

export interface TaskChoices {
  readonly enabled: Readonly<Record<TaskType, boolean>>;
  readonly heads: Readonly<Partial<Record<TaskType, TaskName>>>;
}

export interface TaskSettings extends TaskChoices {
  /** Ask Layer-Attention models for the per-block attention chart (extra work in the worker, so off by default). */
  readonly showLayerAttention: boolean;
}

interface TasksStore extends TaskSettings {
  setEnabled(type: TaskType, on: boolean): void;
  setHead(type: TaskType, task: TaskName): void;
  setShowLayerAttention(on: boolean): void;
}

export const DEFAULT_TASKS: TaskSettings = {
  enabled: Object.fromEntries(TASK_TYPES.map((t) => [t, true])) as Record<TaskType, boolean>,
  heads: {},
  showLayerAttention: false,
};

/**
 * The task names to ask the worker for: every enabled type the model has, with the chosen head when the model has
 * it, else the model's default head. In the model's task order.
 */
export function selectedTasks(choices: TaskChoices, available: readonly TaskName[]): TaskName[] {
  const chosen = new Set<TaskName>();
  for (const type of TASK_TYPES) {
    if (!choices.enabled[type]) continue;
    const head = choices.heads[type];
    const task = head && available.includes(head) && TASKS[head].type === type ? head : defaultHead(type, available);
    if (task) chosen.add(task);
  }
  return available.filter((t) => chosen.has(t));
}

/** Task types present in a model, in display order. */
export function typesIn(available: readonly TaskName[]): TaskType[] {
  return TASK_TYPES.filter((type) => available.some((t) => TASKS[t].type === type));
}

/** The heads of one type a model has (several only for Full / Layer-Attention). */
export function headsOf(type: TaskType, available: readonly TaskName[]): TaskName[] {
  return available.filter((t) => TASKS[t].type === type);
}

/** Stored settings, each checked on its own so one bad value (older version, hand edit) keeps the others. */
export function initialTasks(stored: unknown): TaskSettings {
  const s = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  const enabledIn = (s.enabled && typeof s.enabled === 'object' ? s.enabled : {}) as Record<string, unknown>;
  const headsIn = (s.heads && typeof s.heads === 'object' ? s.heads : {}) as Record<string, unknown>;
  const enabled = { ...DEFAULT_TASKS.enabled };
  const heads: Partial<Record<TaskType, TaskName>> = {};
  for (const type of TASK_TYPES) {
    if (typeof enabledIn[type] === 'boolean') enabled[type] = enabledIn[type];
    const head = headsIn[type];
    if (typeof head === 'string' && isTaskName(head) && TASKS[head].type === type) heads[type] = head;
  }
  const showLayerAttention =
    typeof s.showLayerAttention === 'boolean' ? s.showLayerAttention : DEFAULT_TASKS.showLayerAttention;
  return { enabled, heads, showLayerAttention };
}

function readStored(): unknown {
  try {
    return JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? '{}');
  } catch {
    return {};
  }
}

export const useTasks = create<TasksStore>()((set, get) => {
  const save = () => {
    const { enabled, heads, showLayerAttention } = get();
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify({ enabled, heads, showLayerAttention }));
    } catch {
      // Private mode / quota: the choice then lasts for this page only.
    }
  };
  return {
    ...initialTasks(readStored()),
    setEnabled(type, on) {
      set((s) => ({ enabled: { ...s.enabled, [type]: on } }));
      save();
    },
    setHead(type, task) {
      if (TASKS[task].type !== type) return; // a head of another type would silently never run
      set((s) => ({ heads: { ...s.heads, [type]: task } }));
      save();
    },
    setShowLayerAttention(on) {
      set({ showLayerAttention: on });
      save();
    },
  };
});
