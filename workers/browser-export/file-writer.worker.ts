/// <reference lib="webworker" />
/**
 * The package writer's thread: the export worker (export.worker.ts) starts it for one export, posts the package's
 * files to it chunk by chunk (file-writer-client.ts), and terminates it when the package is stored or removed. It
 * writes them into OPFS through sync access handles and hashes them (file-writer-host.ts).
 */
import { writerHost, type ToWriter } from './file-writer-host.ts';
import { fastSha256 } from './hashers.ts';
import type { SyncHandleLike } from './opfs-store.ts';

const receive = writerHost({
  post: (message, transfer) => postMessage(message, { transfer: transfer ?? [] }),
  async openSync(handle) {
    if (!handle.createSyncAccessHandle)
      throw new Error('this browser cannot write files from a worker (no FileSystemSyncAccessHandle)');
    return (await handle.createSyncAccessHandle()) as SyncHandleLike;
  },
  hasher: fastSha256,
});

addEventListener('message', (e: MessageEvent<ToWriter>) => receive(e.data));
