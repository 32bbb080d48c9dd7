/**
 * What Faceptor model packages the app can see: the listing `public/models/index.json` that the exporter keeps up to
 * date. The browser does not run Faceptor tasks yet (issue 4's browser half); until then this store only lets the UI
 * say plainly whether a package is installed and whether its weights are untrained.
 */
import { create } from 'zustand';
import type { ModelIndex, ModelIndexEntry } from '../core/faceptor/manifest.ts';

export type ModelListing =
  | { readonly state: 'loading' }
  | { readonly state: 'none' }
  | { readonly state: 'found'; readonly packages: readonly ModelIndexEntry[] };

interface ModelsStore {
  readonly listing: ModelListing;
  refresh(fetchImpl?: typeof fetch): Promise<void>;
}

/** Parses the listing; anything that is not a well-formed index counts as "no package installed". */
export function parseModelIndex(json: unknown): readonly ModelIndexEntry[] {
  const index = json as Partial<ModelIndex> | null;
  if (!index || index.format !== 'faceptor-web-model-index' || !Array.isArray(index.packages)) return [];
  return index.packages.filter((p): p is ModelIndexEntry =>
    !!p && typeof p.name === 'string' && typeof p.label === 'string' && typeof p.untrained === 'boolean');
}

export const useModels = create<ModelsStore>((set) => ({
  listing: { state: 'loading' },
  async refresh(fetchImpl = fetch) {
    try {
      const res = await fetchImpl(`${import.meta.env.BASE_URL}models/index.json`, { cache: 'no-cache' });
      const packages = res.ok ? parseModelIndex(await res.json()) : [];
      set({ listing: packages.length ? { state: 'found', packages } : { state: 'none' } });
    } catch {
      set({ listing: { state: 'none' } });
    }
  },
}));
