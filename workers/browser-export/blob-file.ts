/**
 * A File (Blob) as the checkpoint reader's RandomAccessFile: each read is one `slice(...).arrayBuffer()`, so only
 * the bytes asked for are ever in memory (the zip directory, data.pkl, then one tensor at a time) — never the whole
 * 1–2 GB checkpoint. Counts bytes for progress and stops at the next read once the export is cancelled.
 */
import type { RandomAccessFile } from '../../tools/export/checkpoint/zip.ts';

export class ExportCancelled extends Error {
  constructor() {
    super('export cancelled: nothing was stored');
    this.name = 'ExportCancelled';
  }
}

export interface BlobFile extends RandomAccessFile {
  /** Bytes read so far. */
  readonly bytesRead: number;
}

/**
 * Small reads (a record's 30-byte local header, then its tensor right behind it; the many small tensors) are
 * served from one read-ahead window: each `slice().arrayBuffer()` is a round trip to the browser's file reader,
 * and a real checkpoint has thousands of them. Large reads go straight to the Blob. The window is bounded, so
 * memory stays that of the reads in flight plus 4 MiB. Reads may overlap (the checkpoint's read-ahead): the window
 * is a promise, so small reads that fall in a window still loading share that one slice.
 */
const WINDOW = 4 << 20;
const SMALL = 1 << 20;

export function blobFile(
  blob: Blob,
  options: {
    signal?: AbortSignal;
    onRead?: (bytesRead: number) => void;
  } = {},
): BlobFile {
  let bytesRead = 0;
  let window: { start: number; end: number; bytes: Promise<Uint8Array> } | null = null;
  const fetchBytes = async (start: number, end: number) => new Uint8Array(await blob.slice(start, end).arrayBuffer());
  const read = async (buffer: Uint8Array, offset: number, length: number, position: number, exact: boolean) => {
    if (options.signal?.aborted) throw new ExportCancelled();
    // Past the end: 0 bytes, which the reader reports as a truncated file (as a short read from a FileHandle).
    const end = Math.min(blob.size, position + length);
    if (position >= end) return { bytesRead: 0 };
    let bytes: Uint8Array;
    if (exact || end - position > SMALL) {
      bytes = await fetchBytes(position, end);
      if (options.signal?.aborted) throw new ExportCancelled();
    } else {
      if (!window || position < window.start || end > window.end) {
        const wEnd = Math.min(blob.size, position + WINDOW);
        const w = { start: position, end: wEnd, bytes: fetchBytes(position, wEnd) };
        // A failed window is not kept: the next read tries again (and this one reports the error).
        w.bytes.catch(() => {
          if (window === w) window = null;
        });
        window = w;
      }
      const w = window;
      const all = await w.bytes;
      if (options.signal?.aborted) throw new ExportCancelled();
      bytes = all.subarray(position - w.start, end - w.start);
    }
    buffer.set(bytes, offset);
    bytesRead += bytes.length;
    options.onRead?.(bytesRead);
    return { bytesRead: bytes.length };
  };
  return {
    get bytesRead() {
      return bytesRead;
    },
    read: (buffer, offset, length, position) => read(buffer, offset, length, position, false),
    // The checkpoint's read-ahead sizes its reads itself (a whole record): a small record must not pull in a
    // 4 MiB window (measured: windows behind small records read ahead doubled the bytes crossing from the browser).
    readExact: (buffer, offset, length, position) => read(buffer, offset, length, position, true),
    async close() {
      window = null;
    },
  };
}

/**
 * A read of the file that has not answered in this long is taken as stalled. Measured: Chromium's `Blob.stream()` of
 * a 1.7 GB disk-backed File stopped for good after 622 MiB in a real-size run under load 10 (the export worker,
 * hashing after the commit; two earlier runs had stopped the same way), with no error. A read normally answers in
 * milliseconds; the limit is generous for a loaded machine.
 */
export const READ_STALL_MS = 15_000;
/** Bytes per read once the stream has been given up (a fresh slice per read). */
const SLICE_BYTES = 8 << 20;

/** `p`, or null when it has not settled within `ms` (it keeps running; its result is then ignored). */
function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/**
 * sha256 of a whole Blob, streamed (`Blob.stream()`, never the whole file), with progress and cancellation. Where
 * the stream is a byte stream (BYOB), one 4 MiB buffer is reused for every read: a 1.7 GB checkpoint then leaves
 * no trail of chunks for the garbage collector (with plain chunks the page's memory grew by up to 1.6 GB, measured).
 * A stream that stalls (no answer in `stallMs`, see READ_STALL_MS) is given up and the rest of the file is read by
 * `slice()`, from where the stream stopped, into the same hash; a slice that stalls too fails the hash.
 */
export async function hashBlob(
  blob: Blob,
  hasher: { update(d: Uint8Array): unknown; digest(): string },
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void; stallMs?: number } = {},
): Promise<string> {
  const stallMs = options.stallMs ?? READ_STALL_MS;
  const stream = blob.stream();
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    byob = null;
  }
  let done = 0;
  let stalled = false;
  const step = (value: Uint8Array) => {
    hasher.update(value);
    done += value.byteLength;
    options.onProgress?.(done, blob.size);
  };
  const reader = byob ?? stream.getReader();
  let buffer = new Uint8Array(4 << 20);
  try {
    for (;;) {
      if (options.signal?.aborted) throw new ExportCancelled();
      const r = await within<ReadableStreamReadResult<Uint8Array>>(
        byob ? byob.read(buffer) : (reader as ReadableStreamDefaultReader<Uint8Array>).read(),
        stallMs,
      );
      if (r === null) {
        stalled = true;
        break;
      }
      if (r.done || !r.value) break;
      step(r.value);
      if (byob) buffer = new Uint8Array(r.value.buffer as ArrayBuffer); // the same memory, handed back by the stream
    }
  } finally {
    // Not awaited after a stall: the stalled stream may never answer its cancel either.
    const cancel = reader.cancel().catch(() => undefined);
    if (!stalled) await cancel;
  }
  while (stalled && done < blob.size) {
    if (options.signal?.aborted) throw new ExportCancelled();
    const part = await within(blob.slice(done, Math.min(blob.size, done + SLICE_BYTES)).arrayBuffer(), stallMs);
    if (part === null || part.byteLength === 0)
      throw new Error(`reading the file stalled at byte ${done} of ${blob.size} (no answer in ${stallMs / 1000} s)`);
    step(new Uint8Array(part));
  }
  return hasher.digest();
}
