/** The request key (analysis-options.ts) of the tasks and model chosen now, re-rendering when either changes. */
import { useModels } from '../../state/models.ts';
import { useTasks } from '../../state/tasks.ts';
import { faceptorOptions, requestKey } from '../../state/analysis-options.ts';

export function useCurrentRequestKey(): string {
  const current = useModels((s) => s.current);
  const enabled = useTasks((s) => s.enabled);
  const heads = useTasks((s) => s.heads);
  const showLayerAttention = useTasks((s) => s.showLayerAttention);
  return requestKey(current, faceptorOptions(current, { enabled, heads, showLayerAttention }));
}
