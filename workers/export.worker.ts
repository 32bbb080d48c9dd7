/// <reference lib="webworker" />
/**
 * The checkpoint-export worker: runs the exporter (browser-export/export-job.ts) off the UI thread and away from the
 * perception worker, so the current model keeps running during a minutes-long export. One export at a time; the
 * page creates this worker for an export and terminates it afterwards (its memory goes with it).
 */
import * as Comlink from 'comlink';
import {
  exportInBrowser,
  type BrowserExportOptions,
  type BrowserExportResult,
  type ExportProgress,
  type ProvenanceOutcome,
  type SourceHasher,
} from './browser-export/export-job.ts';
import { ExportCancelled, hashBlob } from './browser-export/blob-file.ts';
import type { HashWorkerApi } from './browser-export/hash.worker.ts';
import { opfsRoot } from './browser-export/opfs-store.ts';
import { FileWriterClient } from './browser-export/file-writer-client.ts';
import type { FromWriter } from './browser-export/file-writer-host.ts';
import { fastCrc32, fastSha256 } from './browser-export/hashers.ts';
import { useNativeCrc32 } from '../tools/export/checkpoint/zip.ts';

/** The provenance phase as the page sees it: bytes of the checkpoint hashed, then how it ended. */
export type ProvenanceReport =
  { readonly state: 'hashing'; readonly done: number; readonly total: number } | ProvenanceOutcome;

export interface ExportWorkerApi {
  /**
   * Resolves as soon as the package is stored (listed, loadable), with "" as its sha256 unless already known; the
   * checkpoint is hashed afterwards (beside the conversion where there is a spare core) and `onProvenance` reports
   * it: progress, then the outcome (always called last, once). Keep the worker until then.
   */
  exportCheckpoint(
    file: File,
    options: BrowserExportOptions,
    onProgress?: (p: ExportProgress) => void,
    onProvenance?: (p: ProvenanceReport) => void,
  ): Promise<BrowserExportResult>;
  /**
   * Before the commit: stops the export at its next read; it removes its folder and rejects with "export
   * cancelled". After it: stops the hash; the package stays, without its sha256 (the outcome says so).
   */
  cancel(): void;
}

/**
 * Hashing beside the conversion needs a core of its own: measured on 2 cores, the concurrent hash made the
 * conversion 2.3× slower (docs/benchmarks.md §5). With fewer than 4 the hash runs after the commit instead.
 */
export const CONCURRENT_HASH_MIN_CORES = 4;

let running: AbortController | null = null;

/**
 * The checkpoint's sha256 in a worker of its own (a nested dedicated worker), so it runs on a second core beside
 * the conversion: measured, it is as long as the conversion itself (docs/benchmarks.md §5). Where this browser
 * cannot start a worker from a worker, or the hash worker's script does not load, the hash runs here instead (as
 * before: slower, the same digest). Null where there is no Worker at all: the export then hashes after converting.
 */
function workerHasher(): SourceHasher | null {
  if (typeof Worker === 'undefined') return null;
  const here: SourceHasher = async (file, { signal, onProgress }) =>
    hashBlob(file, await fastSha256(), { signal, onProgress });
  return (file, { signal, onProgress }) => {
    if (signal.aborted) return Promise.reject(new ExportCancelled());
    let worker: Worker;
    try {
      worker = new Worker(new URL('./browser-export/hash.worker.ts', import.meta.url), {
        type: 'module',
        name: 'checkpoint-sha256',
      });
    } catch {
      return here(file, { signal, onProgress });
    }
    const hasher = Comlink.wrap<HashWorkerApi>(worker);
    let started = false;
    return new Promise<string>((resolve, reject) => {
      const stop = () => {
        worker.terminate();
        reject(new ExportCancelled());
      };
      signal.addEventListener('abort', stop, { once: true });
      worker.addEventListener('error', (e) => {
        signal.removeEventListener('abort', stop);
        worker.terminate();
        // Before any progress this is the worker failing to start (its script did not load): hash here instead.
        if (!started) resolve(here(file, { signal, onProgress }));
        else reject(new Error(`the checkpoint could not be hashed: ${e.message || 'worker failed'}`));
      });
      const progress = (done: number, total: number) => {
        started = true;
        onProgress(done, total);
      };
      hasher.sha256(file, Comlink.proxy(progress)).then(
        (digest) => {
          signal.removeEventListener('abort', stop);
          worker.terminate();
          resolve(digest);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', stop);
          worker.terminate();
          const why = e instanceof Error ? e.message : String(e);
          reject(new Error(`the checkpoint could not be hashed: ${why}`));
        },
      );
    });
  };
}

/**
 * The writer worker for one export's files (a nested dedicated worker): they are written into OPFS and hashed
 * there, beside the conversion (docs/benchmarks.md §5). Where this browser cannot start a worker from a worker, the
 * export writes them itself.
 */
function startFileWriter(): FileWriterClient | undefined {
  if (typeof Worker === 'undefined') return undefined;
  let worker: Worker;
  try {
    worker = new Worker(new URL('./browser-export/file-writer.worker.ts', import.meta.url), {
      type: 'module',
      name: 'package-writer',
    });
  } catch {
    return undefined;
  }
  return new FileWriterClient({
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen(onMessage, onError) {
      worker.addEventListener('message', (e: MessageEvent<FromWriter>) => onMessage(e.data));
      worker.addEventListener('error', (e) => onError(e.message || 'the worker failed'));
      worker.addEventListener('messageerror', () => onError('a message could not be read'));
    },
    terminate: () => worker.terminate(),
  });
}

const api: ExportWorkerApi = {
  async exportCheckpoint(file, options, onProgress, onProvenance) {
    if (running) throw new Error('an export is already running');
    const root = await opfsRoot();
    if (!root)
      throw new Error(
        'this browser does not let the page store files (no origin-private file system): use `npm run export` instead',
      );
    const controller = new AbortController();
    running = controller;
    // The zip reader checks every tensor record's CRC-32: WebAssembly's, here, as the CLI uses zlib's.
    useNativeCrc32(await fastCrc32());
    let last = 0;
    let lastHash = 0;
    const cores = navigator.hardwareConcurrency ?? 1;
    try {
      const job = await exportInBrowser(file, options, {
        root,
        signal: controller.signal,
        sourceHasher: (cores >= CONCURRENT_HASH_MIN_CORES && workerHasher()) || undefined,
        startFileWriter,
        async free() {
          const e = await navigator.storage?.estimate?.();
          return e && typeof e.quota === 'number' ? Math.max(0, e.quota - (e.usage ?? 0)) : null;
        },
        onProgress(p) {
          // At most ~10 messages a second: a progress call per tensor read would flood the page.
          const now = performance.now();
          if (p.done === p.total || p.done === 0 || now - last > 100) {
            last = now;
            onProgress?.(p);
          }
        },
        onHashProgress(done, total) {
          const now = performance.now();
          if (done === total || done === 0 || now - lastHash > 100) {
            lastHash = now;
            onProvenance?.({ state: 'hashing', done, total });
          }
        },
      });
      // Still "running" until the provenance phase ends: a cancel then stops the hash, a second export waits.
      void job.provenance.then((outcome) => {
        if (running === controller) running = null;
        onProvenance?.(outcome);
      });
      return { stored: job.stored, warnings: job.warnings, timings: job.timings }; // a Promise cannot be posted
    } catch (e) {
      if (running === controller) running = null;
      throw e;
    }
  },
  cancel() {
    running?.abort();
  },
};

Comlink.expose(api);
