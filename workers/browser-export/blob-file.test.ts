/** The checkpoint reader's Blob adapter: every read returns the file's own bytes, from the window or not. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statePickle, type FakeTensor } from '../../tools/export/checkpoint/testing/pickle-writer.ts';
import { writeZip, type ZipInput } from '../../tools/export/checkpoint/testing/zip-writer.ts';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../tools/export/checkpoint/index.ts';
import { openCheckpointFrom } from '../../tools/export/checkpoint/checkpoint.ts';
import { blobFile, ExportCancelled, hashBlob } from './blob-file.ts';

const GOLDEN_FULL = '/work/shared/golden/faceptor_full/checkpoint.pth.tar';

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

/** A Blob that counts its slices (each one a round trip to the browser's file reader). */
function countingBlob(data: Uint8Array<ArrayBuffer>): { blob: Blob; slices: () => number } {
  const real = new Blob([data]);
  let n = 0;
  const blob = {
    size: real.size,
    slice: (start?: number, end?: number) => {
      n++;
      return real.slice(start, end);
    },
  } as unknown as Blob;
  return { blob, slices: () => n };
}

describe('blobFile with overlapping reads (the checkpoint read-ahead)', () => {
  it('small reads issued together within one window share its slice, and each gets its own bytes', async () => {
    const data = Uint8Array.from({ length: 6 << 20 }, (_, i) => (i * 31) & 0xff);
    const { blob, slices } = countingBlob(data);
    const f = blobFile(blob);
    const at = [0, 1000, 70_000, 2 << 20, (4 << 20) - 100];
    const outs = at.map(() => new Uint8Array(100));
    await Promise.all(at.map((pos, i) => f.read(outs[i]!, 0, 100, pos)));
    at.forEach((pos, i) => expect(outs[i], `${pos}`).toEqual(data.subarray(pos, pos + 100)));
    expect(slices()).toBe(1);
  });

  it('a failed window is not kept: the read that failed reports it, the next one reads again', async () => {
    const data = new Uint8Array(1000).fill(7);
    let fail = true;
    const real = new Blob([data]);
    const blob = {
      size: real.size,
      slice: (s?: number, e?: number) =>
        fail
          ? ({ arrayBuffer: () => Promise.reject(new Error('NotReadableError')) } as unknown as Blob)
          : real.slice(s, e),
    } as unknown as Blob;
    const f = blobFile(blob);
    await expect(f.read(new Uint8Array(10), 0, 10, 0)).rejects.toThrow('NotReadableError');
    fail = false;
    const out = new Uint8Array(10);
    await f.read(out, 0, 10, 0);
    expect(out).toEqual(data.subarray(0, 10));
  });
});

describe.skipIf(!existsSync(GOLDEN_FULL))('checkpoint read-ahead over a Blob (the browser export path)', () => {
  it('every tensor equals the direct read of the file (same bytes at every offset)', async () => {
    const bytes = new Uint8Array(readFileSync(GOLDEN_FULL));
    const direct = await openCheckpoint(GOLDEN_FULL);
    const ahead = await openCheckpointFrom(blobFile(new Blob([bytes])), 'checkpoint.pth.tar', bytes.length);
    const keys = [...ahead.tensors.keys()];
    ahead.readAhead(keys, { maxBytes: 256 << 10, maxReads: 4 });
    // The exporter's order is not the file's: read the keys in a scrambled order.
    const order = keys.map((k, i) => [k, (i * 7919) % keys.length] as const).sort((a, b) => a[1] - b[1]);
    let compared = 0;
    for (const [k] of order) {
      const t = direct.tensors.get(k)!;
      if (!['float32', 'float16', 'float64', 'bfloat16'].includes(t.dtype)) continue;
      const [got, want] = [await ahead.tensors.get(k)!.read(), await t.read()];
      const same = Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer));
      expect(same && got.length === want.length, k).toBe(true);
      compared++;
    }
    expect(compared).toBeGreaterThan(300);
    const stats = ahead.readAheadStats()!;
    expect(stats.taken).toBeGreaterThan(0);
    expect(stats.peakBytes).toBeLessThanOrEqual(Math.max(256 << 10, maxRecord(ahead)));
    expect(stats.peakReads).toBeLessThanOrEqual(4);
    await direct.close();
    await ahead.close();
  });

  it('a cancel stops the read-ahead: no slice after the loads in flight, and reads fail as cancelled', async () => {
    const bytes = new Uint8Array(readFileSync(GOLDEN_FULL));
    const { blob, slices } = countingBlob(bytes);
    const c = new AbortController();
    const ck = await openCheckpointFrom(blobFile(blob, { signal: c.signal }), 'checkpoint.pth.tar', bytes.length);
    const keys = [...ck.tensors.keys()].filter((k) => ck.tensors.get(k)!.dtype === 'float32');
    ck.readAhead(keys, { maxBytes: 64 << 10, maxReads: 2 });
    await ck.tensors.get(keys[0]!)!.read();
    c.abort();
    await new Promise((r) => setTimeout(r, 50));
    const after = slices();
    await expect(ck.tensors.get(keys[keys.length - 1]!)!.read()).rejects.toBeInstanceOf(ExportCancelled);
    await new Promise((r) => setTimeout(r, 50));
    expect(slices()).toBe(after);
    await ck.close();
  });
});

/** The largest record a tensor of `ck` is (one such may load alone, over the byte bound). */
function maxRecord(ck: Awaited<ReturnType<typeof openCheckpoint>>): number {
  let max = 0;
  for (const t of ck.tensors.values()) max = Math.max(max, t.numel * 4);
  return max;
}

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

describe.skipIf(!existsSync(GOLDEN_FULL))('read-ahead over a Blob: bytes that cross from the browser', () => {
  it('each record read ahead is one exact slice (no 4 MiB window behind a small record)', async () => {
    // Small records between large ones, as in a ViT block (norms and biases between the matrices).
    const dir = mkdtempSync(join(tmpdir(), 'blob-ahead-'));
    try {
      const tensors: FakeTensor[] = [];
      const records: ZipInput[] = [];
      for (let i = 0; i < 8; i++) {
        const n = i % 2 ? 400_000 : 16;
        tensors.push({
          key: `t${i}`,
          storageType: 'FloatStorage',
          storageKey: `${i}`,
          numel: n,
          shape: [n],
          stride: [1],
        });
        records.push({ name: `a/data/${i}`, data: new Uint8Array(new Float32Array(n).fill(i).buffer) });
      }
      const path = join(dir, 'a.pth.tar');
      await writeZip(path, [{ name: 'a/data.pkl', data: statePickle(tensors) }, ...records]);
      const bytes = new Uint8Array(readFileSync(path));
      const real = new Blob([bytes]);
      let sliced = 0;
      const blob = {
        size: real.size,
        slice: (s: number, e: number) => {
          sliced += e - s;
          return real.slice(s, e);
        },
      } as unknown as Blob;
      const ck = await openCheckpointFrom(blobFile(blob), 'a.pth.tar', bytes.length);
      const afterOpen = sliced;
      ck.readAhead(tensors.map((t) => t.key));
      let payload = 0;
      for (const t of tensors) {
        const v = await ck.tensors.get(t.key)!.read();
        expect(v.every((x) => x === Number(t.key.slice(1)))).toBe(true);
        payload += v.byteLength;
      }
      expect(ck.readAheadStats()).toMatchObject({ taken: 8, missed: 0 });
      // Per record at most 63 bytes before its local header, and the header with its name.
      expect(sliced - afterOpen).toBeLessThanOrEqual(payload + 8 * (63 + 30 + 12));
      await ck.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a small record read again right after (q, k, v of one in_proj) is served from a copy, not the file', async () => {
    const bytes = new Uint8Array(readFileSync(GOLDEN_FULL));
    const { blob, slices } = countingBlob(bytes);
    const ck = await openCheckpointFrom(blobFile(blob), 'checkpoint.pth.tar', bytes.length);
    const key = [...ck.tensors.keys()].find((k) => k.endsWith('self_attn.in_proj_weight'))!;
    ck.readAhead([key]);
    const first = await ck.tensors.get(key)!.read();
    const expected = first.slice();
    first.fill(NaN); // a caller may change the array it was given
    const n = slices();
    const second = await ck.tensors.get(key)!.read();
    const third = await ck.tensors.get(key)!.read();
    expect(slices()).toBe(n);
    expect(second).toEqual(expected);
    expect(third).toEqual(expected);
    expect(second.buffer).not.toBe(third.buffer);
    expect(ck.readAheadStats()).toMatchObject({ taken: 1, rereads: 2, missed: 0 });
    await ck.close();
  });
});
