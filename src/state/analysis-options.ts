/**
 * The Faceptor part of every analysis request, read at call time from the model and task stores, so a task toggled
 * or a model swapped mid-stream applies from the next frame on.
 */
import type { AnalysisOptions } from '../options.ts';
import type { TaskName } from '../core/faceptor/tasks.ts';
import { modelIdentityKey } from '../core/faceptor/manifest.ts';
import type { ModelStatus } from '../../workers/perception-api.ts';
import { useModels } from './models.ts';
import { selectedTasks, useTasks, type TaskSettings } from './tasks.ts';

/** The task part of a request, as the UI builds it: exact task names (heads resolved), never a preset. */
export interface FaceptorOptions extends Pick<AnalysisOptions, 'layerAttention'> {
  readonly tasks: readonly TaskName[];
}

/** Tasks to run for the loaded model (none without one); the attention chart only when shown and the model has it. */
export function faceptorOptions(current: ModelStatus | null, settings: TaskSettings): FaceptorOptions {
  if (!current) return { tasks: [] };
  return {
    tasks: selectedTasks(settings, current.info.tasks),
    layerAttention: current.hasLayerAttention && settings.showLayerAttention,
  };
}

/**
 * Identifies what an analysis's task results depend on: the model (by its source checkpoint and precision) and the
 * tasks asked for. A photo card whose key differs from the current one shows results of other tasks or another
 * model, and offers to analyse again. A package whose checkpoint sha256 is not recorded yet ("") is told apart by
 * where it was loaded from (a stored package's origin names its folder), never by "" alone.
 */
export function requestKey(current: ModelStatus | null, options: FaceptorOptions): string {
  if (!current) return 'no model';
  const tasks = [...(options.tasks ?? [])].sort().join(',');
  const model = modelIdentityKey(current.info.sourceSha256) ?? `unrecorded:${current.origin}`;
  return `${model}|${current.info.precision}|${current.info.label}|${tasks}|${options.layerAttention ? 'la' : ''}`;
}

export function currentRequestKey(): string {
  return requestKey(useModels.getState().current, currentFaceptorOptions());
}

export function currentFaceptorOptions(): FaceptorOptions {
  return faceptorOptions(useModels.getState().current, useTasks.getState());
}
