/**
 * The video store for the documented e2e hook (window.__faceptor.state().video): state and per-frame results in JSON
 * form, with each analysis' time and graph runs (the video benchmark reads them).
 */
import { registerTestSection } from '../test-hook.ts';
import { useVideo } from '../../state/video.ts';

registerTestSection('video', () => {
  const v = useVideo.getState();
  return {
    file: v.file && { name: v.file.name, size: v.file.size },
    state: v.state,
    done: v.done,
    total: v.total,
    error: v.error,
    latestAt: v.latestAt,
    latest: v.latest && {
      faces: v.latest.faces.map((x) => ({ trackId: x.trackId ?? null, box: x.box, tasks: Object.keys(x) })),
      // For e2e/bench/browser-video-bench.ts: the analysis' own time and graph runs (a fresh 512 pass or not).
      totalMs: v.latest.timings.totalMs,
      runs: v.latest.runs ?? null,
    },
    frames: v.frames.map((f) => ({
      timeMs: f.timeMs,
      faces: f.analysis.faces.map((x) => ({ trackId: x.trackId ?? null, box: x.box })),
      totalMs: f.analysis.timings.totalMs,
      runs: f.analysis.runs ?? null,
    })),
  };
});
