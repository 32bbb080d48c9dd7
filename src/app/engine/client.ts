/**
 * The one place the UI talks to the perception worker. Components never touch the Worker or comlink directly.
 */
import * as Comlink from 'comlink';
import { errorInfo } from '../../core/errors.ts';
import type { EngineInit, EngineListener, PerceptionApi } from '../../../workers/perception-api.ts';

export interface EngineClient {
  readonly api: Comlink.Remote<PerceptionApi>;
  init(
    options: EngineInit,
    listener: EngineListener,
  ): Promise<import('../../../workers/perception-api.ts').EngineStatus>;
  terminate(): void;
}

export function createEngineClient(): EngineClient {
  const worker = new Worker(new URL('../../../workers/perception.worker.ts', import.meta.url), {
    type: 'module',
    name: 'perception',
  });
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

/** The words of an error from the worker (its code: `errorInfo` in src/core/errors.ts). */
export function errorMessage(err: unknown): string {
  return errorInfo(err).message;
}
