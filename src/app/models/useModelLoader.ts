/**
 * The model manager's link to the worker: reads the listing, runs the start-up load once the engine is ready, and
 * gives the panel its actions. Progress callbacks cross the worker boundary as comlink proxies.
 */
import { useCallback, useEffect, useMemo } from 'react';
import * as Comlink from 'comlink';
import { useEngineClient } from '../engine/EngineProvider.tsx';
import { useEngine } from '../../state/engine.ts';
import { useModels, type ModelApi, type ModelChoice } from '../../state/models.ts';

export interface ModelLoader {
  /** Loads a choice; false when the worker refused it (the error is in the store, the previous model stays). */
  load(choice: ModelChoice): Promise<boolean>;
  /** A stored package's checkpoint sha256 is now in its manifest (see the store's recordProvenance). */
  recordProvenance(storedId: string): Promise<void>;
  clearCache(): Promise<void>;
}

/** Start-up work (listing, auto-load, cache size). Call once, from the panel. */
export function useModelStartup(): void {
  const api = useModelApi();
  const phase = useEngine((s) => s.phase);
  const listingState = useModels((s) => s.listing.state);

  useEffect(() => {
    void useModels.getState().refresh();
  }, []);
  useEffect(() => {
    if (phase !== 'ready' || listingState === 'loading') return;
    const models = useModels.getState();
    void models.autoLoad(api).then(() => models.refreshCache(api));
  }, [api, phase, listingState]);
}

export function useModelLoader(): ModelLoader {
  const api = useModelApi();
  const load = useCallback(
    async (choice: ModelChoice) => {
      const ok = await useModels.getState().loadChoice(api, choice);
      await useModels.getState().refreshCache(api); // a load from the network fills the cache
      return ok;
    },
    [api],
  );
  const recordProvenance = useCallback(
    (storedId: string) => useModels.getState().recordProvenance(api, storedId),
    [api],
  );
  const clearCache = useCallback(() => useModels.getState().clearCache(api), [api]);
  return useMemo(() => ({ load, recordProvenance, clearCache }), [load, recordProvenance, clearCache]);
}

function useModelApi(): ModelApi {
  const client = useEngineClient();
  return useMemo<ModelApi>(
    () => ({
      loadModel: (source, onProgress) => client.api.loadModel(source, onProgress && Comlink.proxy(onProgress)),
      recordSourceSha256: (storedId, sha256) => client.api.recordSourceSha256(storedId, sha256),
      modelCacheInfo: () => client.api.modelCacheInfo(),
      clearModelCache: () => client.api.clearModelCache(),
    }),
    [client],
  );
}
