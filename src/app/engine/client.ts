/**
 * The one place the UI talks to the perception worker. Components never touch the Worker or comlink directly.
 */
import * as Comlink from 'comlink';
import type { EngineInit, EngineListener, PerceptionApi } from '../../../workers/perception-api.ts';

export interface EngineClient {
  readonly api: Comlink.Remote<PerceptionApi>;
  init(options: EngineInit, listener: EngineListener): Promise<import('../../../workers/perception-api.ts').EngineStatus>;
  terminate(): void;
}

export function createEngineClient(): EngineClient {
  const worker = new Worker(new URL('../../../workers/perception.worker.ts', import.meta.url), { type: 'module', name: 'perception' });
  const api = Comlink.wrap<PerceptionApi>(worker);
  return {
    api,
    init: (options, listener) => api.init(options, Comlink.proxy(listener)),
    terminate: () => {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

/** comlink carries only `message` across the boundary; this keeps the UI's wording in one place. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
