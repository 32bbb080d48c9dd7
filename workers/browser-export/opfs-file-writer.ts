/**
 * Writes one OPFS file front to back through a FileSystemSyncAccessHandle, hashing what it writes. Runs wherever the
 * handle is opened: in the writer worker (file-writer.worker.ts, the export's usual path) or in the export worker
 * itself (opfs-store.ts, where no writer worker can be started).
 *
 * Two measured costs shape it (Debian Chromium, 208 MiB in 8 MiB writes, tools: docs/benchmarks.md §5):
 * - each write that grows the file is a quota round trip: thousands of small writes (every tensor and 64-byte pad
 *   on its own) took 6.7 s of a 30 s real-size export, so writes are gathered into WRITE_BUFFER-sized ones;
 * - growing a file by writing is still ~1.9× the cost of writing into space already there (1.70 s against 0.90 s,
 *   plus 0.20 s to grow it by `truncate` first), so the file is grown ahead in GROW_AHEAD steps and cut to the
 *   bytes written when it is closed.
 */
import type { Hasher } from '../../tools/export/package/sink.ts';
import type { SyncHandleLike } from './opfs-store.ts';

/** Bytes gathered before one OPFS write. Memory: one such buffer per open file. */
export const WRITE_BUFFER = 8 << 20;
/** How far ahead of the bytes written the file is grown (one `truncate`, one quota check, per step). */
export const GROW_AHEAD = 64 << 20;

export interface OpfsFileWriter {
  /** Appends `bytes` (copied or written before this returns: the caller may reuse them). */
  write(bytes: Uint8Array): void;
  /** Writes what is buffered, cuts the file to the bytes written, flushes and closes it. */
  finish(): { size: number; sha256: string };
  /** Closes the handle without writing what is buffered (the package is being removed). Never throws. */
  abandon(): void;
  /** Milliseconds spent in the handle's writes, truncates and flush, and in the hash (the export's profile). */
  readonly writeMs: number;
  readonly hashMs: number;
}

export function opfsFileWriter(handle: SyncHandleLike, hasher: Hasher): OpfsFileWriter {
  let at = 0; // bytes on disk (in order)
  let allocated = 0; // the file's size as grown ahead
  let growAhead = true;
  let size = 0; // bytes written through `write`
  let buffer: Uint8Array | null = null;
  let fill = 0;
  let open = true;
  let writeMs = 0;
  let hashMs = 0;
  const timed = <T>(f: () => T): T => {
    const t = performance.now();
    try {
      return f();
    } finally {
      writeMs += performance.now() - t;
    }
  };
  const writeOut = (bytes: Uint8Array) =>
    timed(() => {
      const end = at + bytes.length;
      if (end > allocated && growAhead && handle.truncate) {
        try {
          handle.truncate(end + GROW_AHEAD);
          allocated = end + GROW_AHEAD;
        } catch (e) {
          // Near the quota the step ahead may not fit where the bytes themselves still do: grow by writing from here
          // on (the write says whether they fit).
          if (!isQuotaError(e)) throw e;
          growAhead = false;
        }
      }
      let done = 0;
      while (done < bytes.length) {
        const n = handle.write(done === 0 ? bytes : bytes.subarray(done), { at: at + done });
        if (n <= 0) throw new DOMException('the file could not be written (0 bytes)', 'QuotaExceededError');
        done += n;
      }
      at = end;
    });
  const flushBuffer = () => {
    if (buffer && fill > 0) writeOut(buffer.subarray(0, fill));
    fill = 0;
  };
  const closeHandle = () => {
    open = false;
    buffer = null;
    handle.close();
  };
  return {
    write(bytes) {
      if (!open) throw new Error('internal: write after close');
      const t = performance.now();
      hasher.update(bytes);
      hashMs += performance.now() - t;
      size += bytes.length;
      if (bytes.length >= WRITE_BUFFER) {
        flushBuffer();
        writeOut(bytes);
        return;
      }
      if (fill + bytes.length > WRITE_BUFFER) flushBuffer();
      buffer ??= new Uint8Array(WRITE_BUFFER);
      buffer.set(bytes, fill);
      fill += bytes.length;
    },
    finish() {
      if (!open) throw new Error('internal: finish after close');
      try {
        flushBuffer();
        timed(() => {
          if (allocated > at) handle.truncate?.(at);
          handle.flush();
        });
      } finally {
        closeHandle();
      }
      const t = performance.now();
      const sha256 = hasher.digest();
      hashMs += performance.now() - t;
      return { size, sha256 };
    },
    abandon() {
      if (!open) return;
      try {
        closeHandle();
      } catch {
        /* already failing */
      }
    },
    get writeMs() {
      return writeMs;
    },
    get hashMs() {
      return hashMs;
    },
  };
}

/** True for the browser's "the storage is full" errors (QuotaExceededError, or a message that says quota). */
export const isQuotaError = (e: unknown): boolean =>
  e instanceof Error && (e.name === 'QuotaExceededError' || /quota/i.test(e.message));
