/**
 * The page's side of an in-browser export: a fresh export worker per export (terminated afterwards, so its memory
 * goes back), progress through comlink proxies, and a cancel that cannot hang.
 *
 * The export resolves as soon as the package is stored; the worker is kept until the checkpoint's sha256 is
 * recorded (or not), then terminated. Cancel before the commit: the worker stops at its next read and removes its
 * folder; if it does not answer within a few seconds it is terminated and the folder it left is removed here (the
 * next listing also removes any leftover). Cancel after the commit stops the hash: the package stays, without its
 * sha256 (terminating the worker mid-rewrite is safe: the manifest is replaced atomically or not at all).
 */
import * as Comlink from 'comlink';
import type { ExportWorkerApi } from '../../../workers/export.worker.ts';
import { provenanceFailure } from '../../../workers/browser-export/export-job.ts';
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
  let stored = false;
  let finished = false;
  /** Ends the provenance phase (once): the worker goes, the last report is passed on. */
  let endProvenance: (() => void) | null = null;
  const terminate = () => {
    clearTimeout(timer);
    worker.terminate();
  };
  let onCrash: ((why: string) => void) | null = null;
  worker.addEventListener('error', (e) => onCrash?.(e.message || 'the export worker stopped'));
  return {
    async run(file, options, onProgress, onProvenance) {
      // Asked now, from the page (workers cannot): keeps stored models from being evicted under storage pressure.
      void navigator.storage?.persist?.().catch(() => false);
      const stopped = new Promise<never>((_, reject) => {
        stop = reject;
      });
      endProvenance = () => {
        if (finished) return;
        finished = true;
        terminate();
        onProvenance?.({ state: 'failed', cancelled: true, message: provenanceFailure(true) });
      };
      onCrash = (why) => {
        if (!stored || finished) return;
        finished = true;
        terminate();
        onProvenance?.({ state: 'failed', cancelled: false, message: provenanceFailure(false, why) });
      };
      const report = Comlink.proxy((e: Parameters<NonNullable<typeof onProvenance>>[0]) => {
        if (finished) return;
        if (e.state !== 'hashing') {
          finished = true;
          terminate();
        }
        onProvenance?.(e);
      });
      try {
        const result = await Promise.race([
          api.exportCheckpoint(file, options, Comlink.proxy(onProgress), report),
          stopped,
        ]);
        stored = true;
        return result;
      } catch (e) {
        finished = true;
        terminate();
        throw e;
      }
    },
    cancel() {
      void api.cancel();
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (stored) {
          endProvenance?.(); // the hash did not stop in time: the package stays, without its sha256
          return;
        }
        worker.terminate();
        void opfsRoot()
          .then((root) => listStored(root, true))
          .catch(() => undefined);
        stop?.(new Error('export cancelled: nothing was stored'));
      }, CANCEL_GRACE_MS);
    },
  };
}
