/**
 * The page's side of an in-browser export: a fresh export worker per export (terminated afterwards, so its memory
 * goes back), progress through a comlink proxy, and a cancel that cannot hang — the worker stops at its next read
 * and removes its folder; if it does not answer within a few seconds it is terminated and the folder it left is
 * removed here (the next listing also removes any leftover).
 */
import * as Comlink from 'comlink';
import type { ExportWorkerApi } from '../../../workers/export.worker.ts';
import { listStored, opfsRoot } from '../../../workers/browser-export/opfs-store.ts';
import type { ExportRunner } from '../../state/checkpoint-export.ts';

const CANCEL_GRACE_MS = 5000;

export function workerExportRunner(): ExportRunner {
  const worker = new Worker(new URL('../../../workers/export.worker.ts', import.meta.url), {
    type: 'module',
    name: 'checkpoint-export',
  });
  const api = Comlink.wrap<ExportWorkerApi>(worker);
  let stop: ((err: Error) => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    async run(file, options, onProgress) {
      // Asked now, from the page (workers cannot): keeps stored models from being evicted under storage pressure.
      void navigator.storage?.persist?.().catch(() => false);
      const stopped = new Promise<never>((_, reject) => {
        stop = reject;
      });
      try {
        return await Promise.race([api.exportCheckpoint(file, options, Comlink.proxy(onProgress)), stopped]);
      } finally {
        clearTimeout(timer);
        worker.terminate();
      }
    },
    cancel() {
      void api.cancel();
      timer = setTimeout(() => {
        worker.terminate();
        void opfsRoot()
          .then((root) => listStored(root, true))
          .catch(() => undefined);
        stop?.(new Error('export cancelled: nothing was stored'));
      }, CANCEL_GRACE_MS);
    },
  };
}
