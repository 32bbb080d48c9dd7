/** Per-stage timings of one analysis: detection (decode/copy, pre, run, post) and, when a model ran, the Faceptor stages. */
import type { StageTimings } from '../../../workers/perception-api.ts';

const ms = (v: number) => `${v.toFixed(1)} ms`;

export function Timings({ timings, testId }: { timings: StageTimings; testId?: string }) {
  const f = timings.faceptor;
  const tasksMs = f ? Object.values(f.taskMs).reduce((a, b) => a + (b ?? 0), 0) : 0;
  return (
    <span className="timings" data-testid={testId}>
      decode {ms(timings.decodeMs)} · pre {ms(timings.preprocessMs)} · detect {ms(timings.runMs)} · post {ms(timings.postprocessMs)}
      {f && (
        <span title={Object.entries(f.taskMs).map(([k, v]) => `${k}: ${ms(v ?? 0)}`).join('\n')}>
          {' '}· align {ms(f.alignMs)} · enc112 {ms(f.encoder112Ms)} · enc512 {ms(f.encoder512Ms)} · tasks {ms(tasksMs)} · decode tasks {ms(f.decodeMs)}
        </span>
      )}
      {' '}· total {ms(timings.totalMs)}
    </span>
  );
}
