import { describe, expect, it } from 'vitest';
import { MAX_WASM_THREADS, wasmThreadCount } from './threads.ts';

describe('wasmThreadCount', () => {
  it('is 1 without cross-origin isolation, whatever the cores (no SharedArrayBuffer)', () => {
    expect(wasmThreadCount({ crossOriginIsolated: false, hardwareConcurrency: 16 })).toBe(1);
    expect(wasmThreadCount({ crossOriginIsolated: false, hardwareConcurrency: 16, requested: 4 })).toBe(1);
  });
  it('is min(hardwareConcurrency, 4) when isolated', () => {
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: 2 })).toBe(2);
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: 3 })).toBe(3);
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: 16 })).toBe(MAX_WASM_THREADS);
    expect(MAX_WASM_THREADS).toBe(4);
  });
  it('treats a missing or nonsense core count as 1', () => {
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: undefined })).toBe(1);
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: 0 })).toBe(1);
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: Number.NaN })).toBe(1);
  });
  it('honours a requested cap but never exceeds the cores', () => {
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: 8, requested: 1 })).toBe(1);
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: 2, requested: 4 })).toBe(2);
    expect(wasmThreadCount({ crossOriginIsolated: true, hardwareConcurrency: 8, requested: null })).toBe(4);
  });
});
