/**
 * Documented test hook (docs/testing.md §4): `window.__faceptor.state()` returns a plain snapshot of the stores so
 * that e2e tests read results (boxes, task fields, provider, model, gallery) without scraping pixels. Analyses are
 * given in the export/CLI JSON form (src/pipeline/analysis-json.ts: parsing masks as RLE) plus the video fields.
 * Read-only; the app never depends on it.
 */
import { toImageEntry } from '../pipeline/analysis-json.ts';
import type { ImageAnalysis } from '../result.ts';
import { useEngine } from '../state/engine.ts';
import { useGallery } from '../state/gallery.ts';
import { useLive } from '../state/live.ts';

/** Extra stores (model, tasks, identity…) register a snapshot here so this file does not grow per feature. */
const sections = new Map<string, () => unknown>();
export function registerTestSection(name: string, snapshot: () => unknown): void {
  sections.set(name, snapshot);
}

function snapshot(a: ImageAnalysis | null, name: string) {
  if (!a) return null;
  const entry = toImageEntry(name, a);
  return {
    ...entry,
    scale: a.scale,
    model: a.model ?? null,
    runs: a.runs ?? null,
    faces: entry.faces.map((f, i) => ({
      ...f,
      trackId: a.faces[i].trackId ?? null,
      denseAgeMs: a.faces[i].denseAgeMs ?? null,
    })),
  };
}

export function installTestHook(target: Window = window): void {
  (target as unknown as { __faceptor: unknown }).__faceptor = {
    state: () => {
      const engine = useEngine.getState();
      const live = useLive.getState();
      const extra = Object.fromEntries([...sections].map(([k, f]) => [k, f()]));
      return JSON.parse(
        JSON.stringify({
          engine: { phase: engine.phase, status: engine.status, error: engine.error, notice: engine.notice },
          live: {
            camera: live.camera,
            error: live.error,
            latest: snapshot(live.latest, 'live'),
            fps: live.fps,
            framesAnalysed: live.framesAnalysed,
            recentTimings: live.recentTimings,
          },
          gallery: useGallery.getState().items.map(({ name, state, analysis, error }) => ({
            name,
            state,
            analysis: snapshot(analysis, name),
            error,
          })),
          ...extra,
        }),
      );
    },
  };
}
