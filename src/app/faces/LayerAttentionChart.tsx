/**
 * Layer-Attention (docs/model.md §5.4): for each task, the share of its decoder's cross-attention that falls
 * on each encoder block's features. One small bar chart per task, bars in block order, all on one scale so tasks
 * can be compared.
 */
import { TASKS, TASK_NAMES, TASK_TYPE_TITLES } from '../../core/faceptor/tasks.ts';
import type { FaceAnalysis } from '../../result.ts';
import { barGeometry, sharesByBlock } from './charts.ts';
import { UntrainedTag } from './Untrained.tsx';

const W = 96;
const H = 32;
const GAP = 2;

export function LayerAttentionChart({
  shares,
  untrained,
}: {
  shares: NonNullable<FaceAnalysis['layerAttention']>;
  untrained: boolean;
}) {
  const tasks = TASK_NAMES.filter((t) => shares[t]?.length);
  if (tasks.length === 0) return null;
  const peak = Math.max(...tasks.flatMap((t) => shares[t]!.map((s) => s.fraction)));
  // Round the common scale up to a tenth so the axis label is a plain number.
  const max = Math.min(1, Math.max(0.1, Math.ceil(peak * 10) / 10));
  return (
    <section className="face-section" data-testid="face-layer-attention" data-tasks={tasks.join(',')}>
      <h4>Which encoder layers each task reads {untrained && <UntrainedTag />}</h4>
      <p className="face-hint">
        Share of each task's attention per encoder block (bar height up to {Math.round(max * 100)}%).
      </p>
      <div className="face-la-grid">
        {tasks.map((task) => {
          const rows = sharesByBlock(shares[task]!);
          const bars = barGeometry(
            rows.map((r) => r.fraction),
            { width: W, height: H, gap: GAP, max },
          );
          return (
            <figure
              key={task}
              className="face-la"
              data-testid="face-layer-attention-task"
              data-task={task}
              data-blocks={rows.map((r) => r.block).join(',')}
              data-fractions={rows.map((r) => r.fraction.toFixed(3)).join(',')}
            >
              <svg
                viewBox={`0 0 ${W} ${H + 13}`}
                width={W}
                height={H + 13}
                role="img"
                aria-label={`${TASKS[task].dataset}: ${rows.map((r) => `block ${r.block} ${Math.round(r.fraction * 100)}%`).join(', ')}`}
              >
                {bars.map((b, i) => (
                  <g key={rows[i].block}>
                    <rect x={b.x} y={b.y} width={b.width} height={b.height} className="face-la-bar">
                      <title>{`block ${rows[i].block}: ${(rows[i].fraction * 100).toFixed(1)}%`}</title>
                    </rect>
                    <text x={b.x + b.width / 2} y={H + 12} className="face-la-tick">
                      {rows[i].block}
                    </text>
                  </g>
                ))}
              </svg>
              <figcaption>
                {TASK_TYPE_TITLES[TASKS[task].type]} · {TASKS[task].dataset}
              </figcaption>
            </figure>
          );
        })}
      </div>
    </section>
  );
}
