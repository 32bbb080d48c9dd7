/** Per-stage timings of one analysis (decode/copy, pre-processing, session.run, post-processing). */
import type { StageTimings } from '../../../workers/perception-api.ts';

export function Timings({ timings, testId }: { timings: StageTimings; testId?: string }) {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return (
    <span className="timings" data-testid={testId}>
      decode {ms(timings.decodeMs)} · pre {ms(timings.preprocessMs)} · detect {ms(timings.runMs)} · post {ms(timings.postprocessMs)} · total {ms(timings.totalMs)}
    </span>
  );
}
