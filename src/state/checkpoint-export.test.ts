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
  isHashing,
  type EngineFacts,
  type ExportRunner,
  type ProvenanceEvent,
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
    async run(_file, o, _progress, onProvenance) {
      options.push(o);
      // The hash ends right away (reported even before the result is handled: kept until then).
      onProvenance?.({ state: 'recorded', sha256: 'a'.repeat(64) });
      return { stored: { id: 'x', sourceSha256: '' }, warnings: [], timings: {} } as unknown as BrowserExportResult;
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

/** A runner whose provenance phase the test drives: `emit` sends a report, `cancels` counts cancel calls. */
function driven(sha = '') {
  const r = {
    emit: (_e: ProvenanceEvent) => {},
    cancels: 0,
    async run(_f: File, _o: BrowserExportOptions, _p: unknown, onProvenance?: (e: ProvenanceEvent) => void) {
      r.emit = (e) => onProvenance?.(e);
      return { stored: { id: 'p1', sourceSha256: sha }, warnings: [], timings: {} } as unknown as BrowserExportResult;
    },
    cancel() {
      r.cancels++;
    },
  };
  return r;
}

describe('checkpoint export: the package is done when stored, its sha256 is recorded after', () => {
  it('is done at the commit, then follows the hash to the recorded digest (reported once)', async () => {
    const store = createCheckpointExportStore();
    const r = driven();
    const ends: string[] = [];
    const result = await store.getState().start(r, file, null, (_res, o) => ends.push(o.state));
    expect(result?.stored.id).toBe('p1');
    expect(store.getState().job).toMatchObject({ state: 'done', provenance: { state: 'hashing', done: 0 } });
    expect(isHashing(store.getState().job)).toBe(true);
    // Another export waits until this hash ends (one export worker at a time).
    expect(await store.getState().start(driven(), file)).toBeNull();
    r.emit({ state: 'hashing', done: 5, total: 10 });
    expect(store.getState().job).toMatchObject({ provenance: { state: 'hashing', done: 5, total: 10 } });
    r.emit({ state: 'recorded', sha256: 'b'.repeat(64) });
    r.emit({ state: 'failed', message: 'late', cancelled: false }); // after the end: ignored
    expect(store.getState().job).toMatchObject({ provenance: { state: 'recorded', sha256: 'b'.repeat(64) } });
    expect(ends).toEqual(['recorded']);
    expect(isHashing(store.getState().job)).toBe(false);
  });

  it('cancel while hashing stops the hash, not the export: the job stays done, without a sha256', async () => {
    const store = createCheckpointExportStore();
    const r = driven();
    const ends: string[] = [];
    await store.getState().start(r, file, null, (_res, o) => ends.push(o.state));
    store.getState().cancel();
    expect(r.cancels).toBe(1);
    expect(store.getState().job).toMatchObject({ state: 'done', provenance: { state: 'hashing', cancelling: true } });
    r.emit({ state: 'hashing', done: 7, total: 10 }); // still cancelling
    expect(store.getState().job).toMatchObject({ provenance: { cancelling: true, done: 7 } });
    r.emit({ state: 'failed', message: 'the hash was cancelled', cancelled: true });
    expect(store.getState().job).toMatchObject({
      state: 'done',
      result: { stored: { id: 'p1' } },
      provenance: { state: 'failed', cancelled: true },
    });
    expect(ends).toEqual(['failed']);
    store.getState().cancel(); // nothing left to cancel
    expect(r.cancels).toBe(1);
  });

  it('a digest known at the commit is recorded at once', async () => {
    const store = createCheckpointExportStore();
    await store.getState().start(driven('c'.repeat(64)), file);
    expect(store.getState().job).toMatchObject({ provenance: { state: 'recorded', sha256: 'c'.repeat(64) } });
  });
});
