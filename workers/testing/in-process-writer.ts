/**
 * Test-only: a FileWriterClient wired to the writer worker's host (file-writer-host.ts) in this process, as the
 * export worker and file-writer.worker.ts are in the browser. Messages arrive asynchronously (a macrotask later)
 * and in order; chunk buffers are really transferred (detached on the sending side), so a use after transfer fails
 * here as it would in the browser.
 */
import { FileWriterClient } from '../browser-export/file-writer-client.ts';
import { writerHost, type FromWriter, type ToWriter } from '../browser-export/file-writer-host.ts';
import type { SyncHandleLike } from '../browser-export/opfs-store.ts';
import { Sha256 } from '../../tools/export/package/sha256.ts';

export interface InProcessWriter {
  readonly client: FileWriterClient;
  /** Most bytes posted to the writer and not yet acknowledged at any time. */
  readonly maxPending: number;
  /** The worker dies (as a crash): the client hears an error event. */
  die(why: string): void;
  /** Messages the writer has not handled yet are held until `release()` (a busy writer thread). */
  hold(): void;
  release(): void;
}

const later = (f: () => void) => setTimeout(f, 0);

function moved<T>(message: T, transfer: Transferable[]): T {
  // The buffers are detached on the sender's side and arrive as new ones, as with postMessage's transfer list.
  if (transfer.length === 0) return message;
  const m = message as unknown as { buffer: ArrayBuffer };
  return { ...message, buffer: structuredClone(m.buffer, { transfer: [m.buffer] }) };
}

export function inProcessWriter(options: { start?: 'ok' | 'fails' } = {}): InProcessWriter {
  let toClient: (m: FromWriter) => void = () => undefined;
  let onError: (why: string) => void = () => undefined;
  let receive: ((m: ToWriter) => void) | null = null;
  let pending = 0;
  let maxPending = 0;
  let dead = false;
  // As a worker's: messages posted before its script runs, or while it is busy (`hold`), wait in its queue.
  const queue: ToWriter[] = [];
  let holding = false;
  const pump = () => {
    while (receive && !holding && !dead && queue.length) receive(queue.shift()!);
  };
  const deliver = (m: ToWriter) => {
    queue.push(m);
    pump();
  };
  const client = new FileWriterClient({
    post(message, transfer) {
      if (message.type === 'write') {
        pending += message.length;
        maxPending = Math.max(maxPending, pending);
      }
      const m = moved(message, transfer);
      later(() => deliver(m));
    },
    listen(onMessage, error) {
      toClient = onMessage;
      onError = error;
    },
    terminate() {
      dead = true;
    },
  });
  const start = options.start ?? 'ok';
  if (start === 'fails') later(() => onError('the script did not load'));
  else if (start === 'ok')
    later(() => {
      receive = writerHost({
        post(message, transfer) {
          if (message.type === 'ack') pending -= message.length;
          const m = moved(message, transfer ?? []);
          later(() => {
            if (!dead) toClient(m);
          });
        },
        openSync: async (handle) => (await handle.createSyncAccessHandle!()) as SyncHandleLike,
        hasher: async () => new Sha256(),
      });
      pump();
    });
  return {
    client,
    get maxPending() {
      return maxPending;
    },
    die(why) {
      dead = true;
      onError(why);
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      pump();
    },
  };
}
