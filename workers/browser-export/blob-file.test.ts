/** The checkpoint reader's Blob adapter: every read returns the file's own bytes, from the window or not. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blobFile, ExportCancelled, hashBlob } from './blob-file.ts';

describe('blobFile', () => {
  it('returns exactly the bytes asked for at any position and size, across window edges and at the end', async () => {
    const data = new Uint8Array(9 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const f = blobFile(new Blob([data]));
    const cases: [number, number][] = [
      [0, 30],
      [30, 1000],
      [(4 << 20) - 10, 40],
      [5 << 20, 2 << 20],
      [data.length - 5, 5],
      [100, 1 << 20],
      [7, 3],
    ];
    for (const [pos, len] of cases) {
      const out = new Uint8Array(len + 4);
      const { bytesRead } = await f.read(out, 4, len, pos);
      expect(bytesRead, `${pos}+${len}`).toBe(len);
      expect(out.subarray(4), `${pos}+${len}`).toEqual(data.subarray(pos, pos + len));
    }
    expect((await f.read(new Uint8Array(8), 0, 8, data.length)).bytesRead).toBe(0);
    const tail = new Uint8Array(8);
    expect((await f.read(tail, 0, 8, data.length - 3)).bytesRead).toBe(3); // a short read at the end, as a FileHandle
  });

  it('stops at the next read once cancelled', async () => {
    const c = new AbortController();
    const f = blobFile(new Blob([new Uint8Array(100)]), { signal: c.signal });
    await f.read(new Uint8Array(10), 0, 10, 0);
    c.abort();
    await expect(f.read(new Uint8Array(10), 0, 10, 10)).rejects.toBeInstanceOf(ExportCancelled);
  });
});

describe('hashBlob', () => {
  const bytes = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 7919) % 251);
  const expected = createHash('sha256').update(bytes).digest('hex');
  const nodeHasher = () => {
    const h = createHash('sha256');
    return { update: (d: Uint8Array) => h.update(d), digest: () => h.digest('hex') };
  };

  it('hashes the whole blob, with progress to the end', async () => {
    const seen: number[] = [];
    expect(await hashBlob(new Blob([bytes]), nodeHasher(), { onProgress: (d) => seen.push(d) })).toBe(expected);
    expect(seen.at(-1)).toBe(bytes.length);
  });

  it('a stream that stalls is given up: the rest is read by slices into the same hash', async () => {
    const blob = new Blob([bytes]);
    // The stream gives 1 MB, then never answers again (as Chromium's did at 622 MiB of a 1.7 GB file).
    const stalling = {
      size: blob.size,
      slice: blob.slice.bind(blob),
      stream: () =>
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(bytes.slice(0, 1_000_000));
          },
          pull: () => new Promise<void>(() => undefined),
        }),
    } as unknown as Blob;
    const seen: number[] = [];
    const digest = await hashBlob(stalling, nodeHasher(), { stallMs: 50, onProgress: (d) => seen.push(d) });
    expect(digest).toBe(expected);
    expect(seen[0]).toBe(1_000_000);
    expect(seen.at(-1)).toBe(bytes.length);
  });

  it('fails, saying where, when the slices stall too', async () => {
    const blob = new Blob([bytes]);
    const dead = {
      size: blob.size,
      slice: () => ({ arrayBuffer: () => new Promise<ArrayBuffer>(() => undefined) }) as unknown as Blob,
      stream: () => new ReadableStream<Uint8Array>({ pull: () => new Promise<void>(() => undefined) }),
    } as unknown as Blob;
    await expect(hashBlob(dead, nodeHasher(), { stallMs: 50 })).rejects.toThrow(
      'reading the file stalled at byte 0 of 3000000',
    );
  });
});
