/**
 * The in-browser export's precision: until the user picks one, the precision the device runs best, from the
 * engine's report (devicePrecision: fp16 on WebGPU and WASM, see its comment for why); a user's explicit choice
 * is what the exporter gets, whatever the engine.
 */
import { describe, expect, it } from 'vitest';
import type { BrowserExportOptions, BrowserExportResult } from '../../workers/browser-export/export-job.ts';
import {
  createCheckpointExportStore,
  devicePrecision,
  type EngineFacts,
  type ExportRunner,
} from './checkpoint-export.ts';

const webgpu: EngineFacts = { provider: 'webgpu', wasmThreads: 4, shaderF16: true };
const webgpuNoF16: EngineFacts = { provider: 'webgpu', wasmThreads: 4, shaderF16: false };
const wasm1: EngineFacts = { provider: 'wasm', wasmThreads: 1, shaderF16: null };
const wasm4: EngineFacts = { provider: 'wasm', wasmThreads: 4, shaderF16: null };

/** A runner that records the options it was given and resolves like a finished export. */
function recorder(): ExportRunner & { options: BrowserExportOptions[] } {
  const options: BrowserExportOptions[] = [];
  return {
    options,
    async run(_file, o) {
      options.push(o);
      return { stored: { id: 'x' }, warnings: [], timings: {} } as unknown as BrowserExportResult;
    },
    cancel() {},
  };
}

const file = new File([new Uint8Array(4)], 'c.pth.tar');

describe('devicePrecision', () => {
  it('is fp16 on WebGPU (with or without shader-f16), on WASM (any threads) and before the engine is ready', () => {
    for (const e of [webgpu, webgpuNoF16, wasm1, wasm4, null]) expect(devicePrecision(e).precision).toBe('fp16');
  });

  it('says why for the engine it was decided from', () => {
    expect(devicePrecision(webgpu).why).toMatch(/WebGPU.*shader-f16/);
    expect(devicePrecision(webgpuNoF16).why).toMatch(/WebGPU/);
    expect(devicePrecision(webgpuNoF16).why).not.toMatch(/shader-f16/);
    expect(devicePrecision(wasm1).why).toMatch(/WASM/);
  });
});

describe('checkpoint export precision', () => {
  it('exports at the device default until the user chooses; then at the user’s choice, whatever the engine', async () => {
    const store = createCheckpointExportStore();
    expect(store.getState().precision).toBeNull();
    const r = recorder();
    await store.getState().start(r, file, wasm1);
    await store.getState().start(r, file, null);
    store.getState().set({ precision: 'q8' });
    await store.getState().start(r, file, webgpu);
    await store.getState().start(r, file, wasm4);
    store.getState().set({ precision: 'fp32' });
    await store.getState().start(r, file, webgpu);
    expect(r.options.map((o) => o.precision)).toEqual(['fp16', 'fp16', 'q8', 'q8', 'fp32']);
  });
});
