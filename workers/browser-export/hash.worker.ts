/// <reference lib="webworker" />
/**
 * The checkpoint's sha256 on a second thread: the export worker (export.worker.ts) starts this worker with the
 * dropped File and converts meanwhile, so hashing 1–2 GB (as long as the whole conversion, with WebAssembly's
 * SHA-256) no longer comes after it. The File is read here again, streamed: the OS file cache serves both readers.
 * The export worker terminates this one when the export ends or is cancelled.
 */
import * as Comlink from 'comlink';
import { hashBlob } from './blob-file.ts';
import { fastSha256 } from './hashers.ts';

export interface HashWorkerApi {
  /** sha256 (hex) of the whole blob; `onProgress(done, total)` at most every 64 MiB (a message per 4 MiB is noise). */
  sha256(blob: Blob, onProgress?: (done: number, total: number) => void): Promise<string>;
}

const REPORT_EVERY = 64 << 20;

const api: HashWorkerApi = {
  async sha256(blob, onProgress) {
    let reported = 0;
    return hashBlob(blob, await fastSha256(), {
      onProgress: (done, total) => {
        if (done === total || done - reported >= REPORT_EVERY) {
          reported = done;
          void onProgress?.(done, total);
        }
      },
    });
  },
};

Comlink.expose(api);
