/**
 * Per-track timelines of a whole-video analysis: age, expression probabilities, the chosen attributes and the
 * identity match, one small chart each, with a cursor at the video's current time; a click on a chart seeks there.
 * Renders the video store (values computed by state/video-results.ts).
 */
import { useMemo, type MouseEvent } from 'react';
import { CELEBA_ATTRIBUTES, EXPRESSION_LABELS } from '../../core/faceptor/tasks.ts';
import { matchEmbedding, useIdentity } from '../../state/identity.ts';
import { useModels } from '../../state/models.ts';
import { useVideo } from '../../state/video.ts';
import { seriesPath, trackTimelines, type IdentityMatcher, type Series } from '../../state/video-results.ts';
import { humaniseAttribute } from '../faces/labels.ts';
import { faceColour } from '../overlay/face-colours.ts';
import { UntrainedTag } from '../faces/Untrained.tsx';

const W = 600,
  H = 56;
const PALETTE = ['#9aa0a8', '#ffd400', '#4da3ff', '#ff9f1c', '#b388ff', '#7bd389', '#ff5c5c'];

export function useIdentityMatcher(): IdentityMatcher {
  const gallery = useIdentity((s) => s.gallery);
  const threshold = useIdentity((s) => s.threshold);
  const model = useModels((s) => s.current?.info.sourceSha256);
  return useMemo(
    () => (e: readonly number[]) => {
      const m = matchEmbedding(gallery, threshold, e, model);
      return m && { name: m.name, similarity: m.similarity, accepted: m.accepted };
    },
    [gallery, threshold, model],
  );
}

export function Timelines({
  currentMs,
  durationMs,
  onSeek,
}: {
  currentMs: number;
  durationMs: number;
  onSeek: (ms: number) => void;
}) {
  const frames = useVideo((s) => s.frames);
  const attributes = useVideo((s) => s.attributes);
  const threshold = useIdentity((s) => s.threshold);
  const match = useIdentityMatcher();
  const tracks = useMemo(() => trackTimelines(frames, { attributes, match }), [frames, attributes, match]);
  const times = useMemo(() => frames.map((f) => f.timeMs), [frames]);
  const untrained = frames.some((f) => f.analysis.model?.untrained);
  if (frames.length === 0) return null;
  const box = { t0: 0, t1: Math.max(durationMs, times.at(-1) ?? 0, 1), width: W, height: H };
  const chart = (
    title: string,
    lo: number,
    hi: number,
    series: readonly Series[],
    colours: readonly string[],
    guide?: number,
  ) => (
    <figure className="timeline" data-testid="timeline" data-kind={title}>
      <figcaption>
        {title} {untrained && <UntrainedTag />}
        <span className="timeline-legend">
          {series.length > 1 &&
            series.map((s, i) => (
              <span key={s.name} style={{ color: colours[i % colours.length] }}>
                {s.name}{' '}
              </span>
            ))}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${title} over time; click to seek`}
        onClick={(e: MouseEvent<SVGSVGElement>) => {
          const r = e.currentTarget.getBoundingClientRect();
          onSeek(Math.max(0, Math.min(1, (e.clientX - r.left) / r.width)) * box.t1);
        }}
      >
        {guide !== undefined && (
          <line
            className="timeline-guide"
            x1={0}
            x2={W}
            y1={H * (1 - (guide - lo) / (hi - lo))}
            y2={H * (1 - (guide - lo) / (hi - lo))}
          />
        )}
        {series.map((s, i) => (
          <path
            key={s.name}
            d={seriesPath(times, s.values, { ...box, lo, hi })}
            stroke={colours[i % colours.length]}
            data-testid="timeline-series"
            data-name={s.name}
          />
        ))}
        <line
          className="timeline-cursor"
          data-testid="timeline-cursor"
          x1={(currentMs / box.t1) * W}
          x2={(currentMs / box.t1) * W}
          y1={0}
          y2={H}
        />
      </svg>
    </figure>
  );
  return (
    <div className="timelines" data-testid="timelines" data-tracks={tracks.length}>
      <label className="timeline-attributes">
        Attributes on the timelines{' '}
        <select
          multiple
          size={3}
          value={[...attributes]}
          data-testid="timeline-attributes"
          onChange={(e) => useVideo.getState().set({ attributes: [...e.target.selectedOptions].map((o) => o.value) })}
        >
          {CELEBA_ATTRIBUTES.map((a) => (
            <option key={a} value={a}>
              {humaniseAttribute(a)}
            </option>
          ))}
        </select>
      </label>
      {tracks.map((t, k) => (
        <section
          key={t.trackId}
          className="timeline-track"
          data-testid="timeline-track"
          data-track={t.trackId}
          style={{ borderLeftColor: faceColour(k) }}
        >
          <h3>
            Track {t.trackId}{' '}
            <span className="face-hint">
              · {(t.fromMs / 1000).toFixed(1)}–{(t.toMs / 1000).toFixed(1)} s
            </span>
          </h3>
          {t.age && chart('Age (years)', 0, 100, [t.age], ['#00e5ff'])}
          {t.expression.length > 0 &&
            chart(
              'Expression',
              0,
              1,
              t.expression,
              t.expression.map(
                (s) => PALETTE[Math.max(0, EXPRESSION_LABELS.indexOf(s.name as (typeof EXPRESSION_LABELS)[number]))],
              ),
            )}
          {t.attributes.length > 0 &&
            chart(
              'Attributes',
              0,
              1,
              t.attributes.map((s) => ({ ...s, name: humaniseAttribute(s.name) })),
              ['#ff4081', '#9cff57', '#ffd400', '#4da3ff', '#b388ff'],
              0.5,
            )}
          {t.identity && chart('Identity match (cosine)', 0, 1, [t.identity], ['#7bd389'], threshold)}
        </section>
      ))}
    </div>
  );
}
