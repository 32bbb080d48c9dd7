/**
 * Per task type of the current model: "run & show" on/off and, where the model has several heads of the type
 * (Faceptor-Full), which head. Plus the Layer-Attention chart switch for models that expose attention weights.
 * Names and titles come from the task registry.
 */
import { TASKS, TASK_TYPE_TITLES, type TaskName, type TaskType } from '../../core/faceptor/tasks.ts';
import { defaultHead } from '../../pipeline/faceptor/select.ts';
import { useModels } from '../../state/models.ts';
import { headsOf, typesIn, useTasks, type TaskSettings } from '../../state/tasks.ts';
import type { ModelStatus } from '../../../workers/perception-api.ts';

/** A head as users tell them apart: point count for landmarks, class count for parsing, else the dataset. */
export function headTitle(task: TaskName): string {
  const spec = TASKS[task];
  if (spec.type === 'align') return spec.landmarks.title;
  if (spec.type === 'parsing') return `${spec.outputs} classes (${spec.dataset})`;
  return spec.dataset;
}

export function TaskControls() {
  const current = useModels((s) => s.current);
  const enabled = useTasks((s) => s.enabled);
  const heads = useTasks((s) => s.heads);
  const showLayerAttention = useTasks((s) => s.showLayerAttention);
  if (!current) return null;
  return (
    <TaskControlsView
      current={current}
      settings={{ enabled, heads, showLayerAttention }}
      actions={useTasks.getState()}
    />
  );
}

type TaskActions = Pick<ReturnType<typeof useTasks.getState>, 'setEnabled' | 'setHead' | 'setShowLayerAttention'>;

/** The controls for given state (rendered in Node tests without the stores). */
export function TaskControlsView({
  current,
  settings,
  actions,
}: {
  current: ModelStatus;
  settings: TaskSettings;
  actions: TaskActions;
}) {
  const { enabled, heads, showLayerAttention } = settings;
  const { setEnabled, setHead, setShowLayerAttention } = actions;
  const available = current.info.tasks;

  return (
    <fieldset className="task-controls" data-testid="task-controls">
      <legend>Tasks (run &amp; show)</legend>
      {typesIn(available).map((type: TaskType) => {
        const options = headsOf(type, available);
        const chosen = heads[type] && options.includes(heads[type]) ? heads[type] : defaultHead(type, available);
        return (
          <div className="task-row" key={type} data-testid="task-row" data-type={type}>
            <label>
              <input
                type="checkbox"
                data-testid="task-toggle"
                data-type={type}
                data-on={enabled[type] ? 'true' : 'false'}
                checked={enabled[type]}
                onChange={(e) => setEnabled(type, e.target.checked)}
              />
              {TASK_TYPE_TITLES[type]}
            </label>
            {options.length > 1 && (
              <select
                data-testid="task-head"
                data-type={type}
                value={chosen}
                disabled={!enabled[type]}
                onChange={(e) => setHead(type, e.target.value as TaskName)}
                aria-label={`${TASK_TYPE_TITLES[type]} head`}
              >
                {options.map((t) => (
                  <option key={t} value={t}>
                    {headTitle(t)}
                  </option>
                ))}
              </select>
            )}
          </div>
        );
      })}
      {current.hasLayerAttention && (
        <label className="task-row">
          <input
            type="checkbox"
            data-testid="task-layer-attention"
            data-on={showLayerAttention ? 'true' : 'false'}
            checked={showLayerAttention}
            onChange={(e) => setShowLayerAttention(e.target.checked)}
          />
          Layer-Attention chart
        </label>
      )}
    </fieldset>
  );
}
