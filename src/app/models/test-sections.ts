/** Snapshots of the model and task stores for the documented e2e hook (window.__faceptor.state()). */
import { registerTestSection } from '../test-hook.ts';
import { noticeState, untrainedLabel, useModels } from '../../state/models.ts';
import { selectedTasks, useTasks } from '../../state/tasks.ts';

registerTestSection('models', () => {
  const s = useModels.getState();
  return {
    listing: s.listing,
    current: s.current,
    currentKey: s.currentChoice?.key ?? null,
    load:
      s.load.state === 'idle'
        ? { state: 'idle' }
        : s.load.state === 'loading'
          ? { state: 'loading', key: s.load.choice.key, progress: s.load.progress }
          : { state: 'error', key: s.load.choice.key, message: s.load.message },
    notice: noticeState(s),
    untrained: untrainedLabel(s),
    cache: s.cache,
  };
});

registerTestSection('tasks', () => {
  const t = useTasks.getState();
  return {
    enabled: t.enabled,
    heads: t.heads,
    showLayerAttention: t.showLayerAttention,
    selected: selectedTasks(t, useModels.getState().current?.info.tasks ?? []),
  };
});
