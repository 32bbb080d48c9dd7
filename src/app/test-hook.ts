/**
 * Documented test hook (README "Testing"): `window.__faceptor.state()` returns a plain snapshot of the stores so
 * that e2e tests read results (boxes, provider) without scraping pixels. Read-only; the app never depends on it.
 */
import { useEngine } from '../state/engine.ts';
import { useGallery } from '../state/gallery.ts';
import { useLive } from '../state/live.ts';

export function installTestHook(target: Window = window): void {
  (target as unknown as { __faceptor: unknown }).__faceptor = {
    state: () => {
      const engine = useEngine.getState();
      const live = useLive.getState();
      return JSON.parse(JSON.stringify({
        engine: { phase: engine.phase, status: engine.status, error: engine.error, notice: engine.notice },
        live: {
          camera: live.camera, error: live.error, latest: live.latest, fps: live.fps, framesAnalysed: live.framesAnalysed,
          recentTimings: live.recentTimings,
        },
        gallery: useGallery.getState().items.map(({ name, state, analysis, error }) => ({ name, state, analysis, error })),
      }));
    },
  };
}
