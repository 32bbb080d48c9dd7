/**
 * User settings. The execution-provider choice comes from `?ep=webgpu|wasm|auto` first (tests and bug reports),
 * then from localStorage, then 'auto'. Changing it restarts the worker (see app/engine/useEngine.ts).
 */
import type { DetectorChoice } from '../options.ts';
import { create } from 'zustand';
import { providerFromUrl } from './url-params.ts';
import type { ProviderPreference } from '../../workers/perception-api.ts';

const STORAGE_KEY = 'faceptor.settings.v1';

export interface Settings {
  readonly provider: ProviderPreference;
  /** Which BlazeFace model analyses photos ('auto': both models + tiles, merged). Camera and video use 'front'. */
  readonly detector: DetectorChoice;
  /** Detector score a face needs (photos and video). */
  readonly minScore: number;
  /** Most faces kept per photo (best first); 0 = all. */
  readonly maxFaces: number;
}

export const DEFAULT_SETTINGS: Settings = { provider: 'auto', detector: 'auto', minScore: 0.5, maxFaces: 0 };

interface SettingsStore extends Settings {
  /** True when `?ep=` overrides the stored choice (the UI says so). */
  readonly providerFromUrl: boolean;
  set(patch: Partial<Settings>): void;
}

function readStored(): Partial<Settings> {
  try {
    const stored = JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? '{}') as Partial<Settings> & {
      imageDetector?: unknown;
    };
    // Before the one-contract naming the field was `imageDetector`: keep a returning user's choice.
    return { ...stored, detector: stored.detector ?? (stored.imageDetector as Settings['detector']) };
  } catch {
    return {};
  }
}

export function initialSettings(search: string, stored: Partial<Settings>): Settings & { providerFromUrl: boolean } {
  const fromUrl = providerFromUrl(search);
  const provider =
    fromUrl ?? (['auto', 'webgpu', 'wasm'].includes(stored.provider as string) ? stored.provider! : 'auto');
  const detector = ['auto', 'front', 'back'].includes(stored.detector as string) ? stored.detector! : 'auto';
  const minScore =
    typeof stored.minScore === 'number' && stored.minScore > 0 && stored.minScore < 1
      ? stored.minScore
      : DEFAULT_SETTINGS.minScore;
  const maxFaces =
    Number.isInteger(stored.maxFaces) && stored.maxFaces! >= 0 ? stored.maxFaces! : DEFAULT_SETTINGS.maxFaces;
  return { provider, detector, minScore, maxFaces, providerFromUrl: fromUrl !== null };
}

export const useSettings = create<SettingsStore>()((set, get) => ({
  ...initialSettings(globalThis.location?.search ?? '', readStored()),
  set(patch) {
    set({ ...patch, ...(patch.provider ? { providerFromUrl: false } : {}) });
    const { provider, detector, minScore, maxFaces } = get();
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify({ provider, detector, minScore, maxFaces }));
    } catch {
      // Private mode / quota: settings then last for this page only, which is fine.
    }
  },
}));
