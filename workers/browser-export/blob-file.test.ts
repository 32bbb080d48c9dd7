/** The checkpoint reader's Blob adapter: every read returns the file's own bytes, from the window or not. */
import { describe, expect, it } from 'vitest';
import { blobFile, ExportCancelled } from './blob-file.ts';

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
