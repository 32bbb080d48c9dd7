/** Per-stage timings of one analysis: detection (decode/copy, pre, run, post) and, when a model ran, the Faceptor stages. */
import type { AnalysisTimings } from '../../result.ts';

const ms = (v: number) => `${v.toFixed(1)} ms`;

export function Timings({ timings, testId }: { timings: AnalysisTimings; testId?: string }) {
  const f = timings.faceptor;
  const tasksMs = f ? Object.values(f.taskMs).reduce((a, b) => a + (b ?? 0), 0) : 0;
  return (
    <span className="timings" data-testid={testId}>
      <span title="image decode or frame copy into pixels">read image {ms(timings.decodeMs)}</span> ·{' '}
      <span title="detector: resize into its input · model run · boxes and keypoints">
        find faces {ms(timings.preprocessMs)} + {ms(timings.runMs)} + {ms(timings.postprocessMs)}
      </span>
      {f && (
        <span
          title={[
            'crops: cut and normalise each face',
            'encoder: 112 px and 512 px passes',
            'heads (per task):',
            ...Object.entries(f.taskMs).map(([k, v]) => `  ${k}: ${ms(v ?? 0)}`),
            'results: outputs into ages, labels, points, masks',
          ].join('\n')}
        >
          {' '}
          · crops {ms(f.alignMs)} · encoder {ms(f.encoder112Ms)} (112 px) + {ms(f.encoder512Ms)} (512 px) · heads{' '}
          {ms(tasksMs)} · results {ms(f.decodeMs)}
        </span>
      )}{' '}
      · total {ms(timings.totalMs)}
    </span>
  );
}
