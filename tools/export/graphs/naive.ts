import type { TaskName } from '../../../src/core/faceptor/tasks.ts';
import type { TaskGraph } from './faceptor.ts';
import type { Params } from './params.ts';
export interface NaiveTaskSpec { readonly task: TaskName; readonly S: number }
export async function buildNaiveTask(_P: Params, spec: NaiveTaskSpec): Promise<TaskGraph> {
  throw new Error(`naive ${spec.task}: not yet`);
}
