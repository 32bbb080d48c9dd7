/** The video store for the documented e2e hook (window.__faceptor.state().video): state and per-frame results in JSON form. */
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
    latest: v.latest && {
      faces: v.latest.faces.map((x) => ({ trackId: x.trackId ?? null, box: x.box, tasks: Object.keys(x) })),
    },
    frames: v.frames.map((f) => ({
      timeMs: f.timeMs,
      faces: f.analysis.faces.map((x) => ({ trackId: x.trackId ?? null, box: x.box })),
    })),
  };
});
