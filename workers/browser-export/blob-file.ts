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
 * memory stays that of one tensor plus 4 MiB.
 */
const WINDOW = 4 << 20;
const SMALL = 1 << 20;

export function blobFile(
  blob: Blob,
  options: {
    signal?: AbortSignal;
    onRead?: (bytesRead: number) => void;
    /** Milliseconds each read awaited the browser (the export's profile). */
    onReadTime?: (ms: number) => void;
  } = {},
): BlobFile {
  let bytesRead = 0;
  let window: { start: number; bytes: Uint8Array } | null = null;
  const fetchBytes = async (start: number, end: number) => {
    const t = performance.now();
    const bytes = new Uint8Array(await blob.slice(start, end).arrayBuffer());
    options.onReadTime?.(performance.now() - t);
    return bytes;
  };
  return {
    get bytesRead() {
      return bytesRead;
    },
    async read(buffer, offset, length, position) {
      if (options.signal?.aborted) throw new ExportCancelled();
      // Past the end: 0 bytes, which the reader reports as a truncated file (as a short read from a FileHandle).
      const end = Math.min(blob.size, position + length);
      if (position >= end) return { bytesRead: 0 };
      let bytes: Uint8Array;
      if (end - position > SMALL) {
        bytes = await fetchBytes(position, end);
        if (options.signal?.aborted) throw new ExportCancelled();
      } else {
        if (!window || position < window.start || end > window.start + window.bytes.length) {
          window = { start: position, bytes: await fetchBytes(position, Math.min(blob.size, position + WINDOW)) };
          if (options.signal?.aborted) throw new ExportCancelled();
        }
        bytes = window.bytes.subarray(position - window.start, end - window.start);
      }
      buffer.set(bytes, offset);
      bytesRead += bytes.length;
      options.onRead?.(bytesRead);
      return { bytesRead: bytes.length };
    },
    async close() {
      window = null;
    },
  };
}

/**
 * sha256 of a whole Blob, streamed (`Blob.stream()`, never the whole file), with progress and cancellation. Where
 * the stream is a byte stream (BYOB), one 4 MiB buffer is reused for every read: a 1.7 GB checkpoint then leaves
 * no trail of chunks for the garbage collector (with plain chunks the page's memory grew by up to 1.6 GB, measured).
 */
export async function hashBlob(
  blob: Blob,
  hasher: { update(d: Uint8Array): unknown; digest(): string },
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<string> {
  const stream = blob.stream();
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    byob = null;
  }
  let done = 0;
  const step = (value: Uint8Array) => {
    hasher.update(value);
    done += value.byteLength;
    options.onProgress?.(done, blob.size);
  };
  if (byob) {
    let buffer = new Uint8Array(4 << 20);
    try {
      for (;;) {
        if (options.signal?.aborted) throw new ExportCancelled();
        const { done: end, value } = await byob.read(buffer);
        if (end || !value) break;
        step(value);
        buffer = new Uint8Array(value.buffer); // the same memory, handed back by the stream
      }
    } finally {
      await byob.cancel().catch(() => undefined);
    }
    return hasher.digest();
  }
  const reader = stream.getReader();
  try {
    for (;;) {
      if (options.signal?.aborted) throw new ExportCancelled();
      const { done: end, value } = await reader.read();
      if (end) break;
      step(value);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return hasher.digest();
}
