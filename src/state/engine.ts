/** Where the perception engine stands: loading, ready (on which EP, and why not WebGPU), or failed. */
import { create } from 'zustand';
import type { EngineStatus } from '../../workers/perception-api.ts';
import type { ErrorCode } from '../core/errors.ts';

export type EnginePhase = 'loading' | 'ready' | 'error';

interface EngineStore {
  readonly phase: EnginePhase;
  readonly status: EngineStatus | null;
  readonly error: string | null;
  /** Stable code of `error` (src/core/errors.ts): e.g. 'detector-model' when a detector file is missing. */
  readonly errorCode: ErrorCode | null;
  /** Latest runtime notice, e.g. "the WebGPU device was lost; now running on WASM". */
  readonly notice: string | null;
  loading(): void;
  ready(status: EngineStatus): void;
  failed(message: string, code?: ErrorCode): void;
  changed(status: EngineStatus, notice: string): void;
}

export const useEngine = create<EngineStore>()((set) => ({
  phase: 'loading',
  status: null,
  error: null,
  errorCode: null,
  notice: null,
  loading: () => set({ phase: 'loading', error: null, errorCode: null }),
  ready: (status) => set({ phase: 'ready', status, error: null, errorCode: null }),
  failed: (message, code = 'internal') => set({ phase: 'error', error: message, errorCode: code }),
  changed: (status, notice) => set({ phase: 'ready', status, notice }),
}));
