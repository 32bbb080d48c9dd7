/**
 * User settings. The execution-provider choice comes from `?ep=webgpu|wasm|auto` first (tests and bug reports),
 * then from localStorage, then 'auto'. Changing it restarts the worker (see app/engine/useEngine.ts).
 */
import { create } from 'zustand';
import { providerFromUrl } from '../../workers/ort-web/provider-plan.ts';
import type { DetectorModel, ProviderPreference } from '../../workers/perception-api.ts';

const STORAGE_KEY = 'faceptor.settings.v1';

export interface Settings {
  readonly provider: ProviderPreference;
  /** Which BlazeFace model analyses dropped images ('auto': both models + tiles, merged). Video always uses 'front'. */
  readonly imageDetector: DetectorModel;
  /** Detector score a face needs (photos and video). */
  readonly minScore: number;
  /** Most faces kept per photo (best first); 0 = all. */
  readonly maxFaces: number;
}

export const DEFAULT_SETTINGS: Settings = { provider: 'auto', imageDetector: 'auto', minScore: 0.5, maxFaces: 0 };

interface SettingsStore extends Settings {
  /** True when `?ep=` overrides the stored choice (the UI says so). */
  readonly providerFromUrl: boolean;
  set(patch: Partial<Settings>): void;
}

function readStored(): Partial<Settings> {
  try {
    return JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? '{}') as Partial<Settings>;
  } catch {
    return {};
  }
}

export function initialSettings(search: string, stored: Partial<Settings>): Settings & { providerFromUrl: boolean } {
  const fromUrl = providerFromUrl(search);
  const provider =
    fromUrl ?? (['auto', 'webgpu', 'wasm'].includes(stored.provider as string) ? stored.provider! : 'auto');
  const imageDetector = ['auto', 'front', 'back'].includes(stored.imageDetector as string)
    ? stored.imageDetector!
    : 'auto';
  const minScore =
    typeof stored.minScore === 'number' && stored.minScore > 0 && stored.minScore < 1
      ? stored.minScore
      : DEFAULT_SETTINGS.minScore;
  const maxFaces =
    Number.isInteger(stored.maxFaces) && stored.maxFaces! >= 0 ? stored.maxFaces! : DEFAULT_SETTINGS.maxFaces;
  return { provider, imageDetector, minScore, maxFaces, providerFromUrl: fromUrl !== null };
}

export const useSettings = create<SettingsStore>()((set, get) => ({
  ...initialSettings(globalThis.location?.search ?? '', readStored()),
  set(patch) {
    set({ ...patch, ...(patch.provider ? { providerFromUrl: false } : {}) });
    const { provider, imageDetector, minScore, maxFaces } = get();
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify({ provider, imageDetector, minScore, maxFaces }));
    } catch {
      // Private mode / quota: settings then last for this page only, which is fine.
    }
  },
}));
