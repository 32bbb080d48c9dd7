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
} from './browser-export/export-job.ts';
import { opfsRoot } from './browser-export/opfs-store.ts';

export interface ExportWorkerApi {
  exportCheckpoint(
    file: File,
    options: BrowserExportOptions,
    onProgress?: (p: ExportProgress) => void,
  ): Promise<BrowserExportResult>;
  /** Stops the running export at its next read; it then removes its folder and rejects with "export cancelled". */
  cancel(): void;
}

let running: AbortController | null = null;

const api: ExportWorkerApi = {
  async exportCheckpoint(file, options, onProgress) {
    if (running) throw new Error('an export is already running');
    const root = await opfsRoot();
    if (!root)
      throw new Error(
        'this browser does not let the page store files (no origin-private file system): use `npm run export` instead',
      );
    const controller = new AbortController();
    running = controller;
    let last = 0;
    try {
      return await exportInBrowser(file, options, {
        root,
        signal: controller.signal,
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
      });
    } finally {
      running = null;
    }
  },
  cancel() {
    running?.abort();
  },
};

Comlink.expose(api);
