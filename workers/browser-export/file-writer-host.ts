/**
 * The writer worker's side of the package writer (file-writer.worker.ts is its shell; file-writer-client.ts the
 * export worker's side). Why a thread of its own: at real size, writing the package into OPFS and hashing it took
 * 2.7 + 1.6 s of the export worker's 11 s conversion; here they run beside the conversion, on the other core.
 *
 * Messages are handled strictly in the order they arrive (one promise chain), so the bytes land in the order the
 * exporter wrote them. Each chunk's buffer goes back with its acknowledgement, for reuse.
 */
import type { Hasher } from '../../tools/export/package/sink.ts';
import type { FileHandleLike, SyncHandleLike } from './opfs-store.ts';
import { isQuotaError, opfsFileWriter, type OpfsFileWriter } from './opfs-file-writer.ts';

export type ToWriter =
  | { readonly type: 'open'; readonly id: number; readonly handle: FileHandleLike }
  | { readonly type: 'write'; readonly id: number; readonly buffer: ArrayBuffer; readonly length: number }
  | { readonly type: 'close'; readonly id: number }
  | { readonly type: 'abort'; readonly id: number };

export type FromWriter =
  | { readonly type: 'ready' }
  /** A chunk written: its bytes count against the client's pending bytes no more; the buffer may be reused. */
  | { readonly type: 'ack'; readonly id: number; readonly length: number; readonly buffer: ArrayBuffer }
  | {
      readonly type: 'closed';
      readonly id: number;
      readonly size: number;
      readonly sha256: string;
      readonly writeMs: number;
      readonly hashMs: number;
    }
  | { readonly type: 'aborted'; readonly id: number }
  /** The file failed (open, write or close): later messages for it are ignored; `quota`: the storage is full. */
  | { readonly type: 'failed'; readonly id: number; readonly message: string; readonly quota: boolean };

export interface WriterHostDeps {
  post(message: FromWriter, transfer?: Transferable[]): void;
  /** The handle's sync access (FileSystemFileHandle.createSyncAccessHandle in the worker). */
  openSync(handle: FileHandleLike): Promise<SyncHandleLike>;
  hasher(): Promise<Hasher>;
}

export function writerHost(deps: WriterHostDeps): (message: ToWriter) => void {
  const files = new Map<number, OpfsFileWriter>();
  const failed = new Set<number>();
  let chain: Promise<void> = Promise.resolve();
  const fail = (id: number, e: unknown) => {
    files.get(id)?.abandon();
    files.delete(id);
    failed.add(id);
    deps.post({
      type: 'failed',
      id,
      message: e instanceof Error ? e.message : String(e),
      quota: isQuotaError(e),
    });
  };
  const handle = async (m: ToWriter): Promise<void> => {
    if (m.type === 'open') {
      try {
        const [sync, hasher] = await Promise.all([deps.openSync(m.handle), deps.hasher()]);
        files.set(m.id, opfsFileWriter(sync, hasher));
      } catch (e) {
        fail(m.id, e);
      }
      return;
    }
    if (failed.has(m.id)) {
      if (m.type === 'abort') deps.post({ type: 'aborted', id: m.id });
      return; // the client already knows why
    }
    const file = files.get(m.id);
    if (!file) {
      fail(m.id, new Error(`internal: no open file ${m.id}`));
      return;
    }
    try {
      switch (m.type) {
        case 'write':
          file.write(new Uint8Array(m.buffer, 0, m.length));
          deps.post({ type: 'ack', id: m.id, length: m.length, buffer: m.buffer }, [m.buffer]);
          return;
        case 'close': {
          files.delete(m.id);
          const { size, sha256 } = file.finish();
          deps.post({ type: 'closed', id: m.id, size, sha256, writeMs: file.writeMs, hashMs: file.hashMs });
          return;
        }
        case 'abort':
          files.delete(m.id);
          file.abandon();
          deps.post({ type: 'aborted', id: m.id });
          return;
      }
    } catch (e) {
      fail(m.id, e);
    }
  };
  deps.post({ type: 'ready' });
  return (message) => {
    chain = chain.then(() => handle(message));
  };
}
