/**
 * The read-ahead queue (read-ahead.ts) with loads the test settles by hand: its bounds hold at every step, each
 * item is handed out once, an item asked for early is never loaded afterwards, stop() starts nothing more, and a
 * failed load reaches whoever takes it (and stops the read-ahead) without an unhandled rejection.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpointFrom } from './checkpoint.ts';
import { ReadAhead } from './read-ahead.ts';
import { statePickle, type FakeTensor } from './testing/pickle-writer.ts';
import { writeZip } from './testing/zip-writer.ts';
import type { RandomAccessFile } from './zip.ts';

/** Items whose loads are settled by the test; records which were started, and how many are in flight. */
function manual(sizes: number[]) {
  const pending = new Map<string, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  const startedIds: string[] = [];
  const items = sizes.map((bytes, i) => ({
    id: `r${i}`,
    bytes,
    load: () =>
      new Promise<string>((resolve, reject) => {
        startedIds.push(`r${i}`);
        pending.set(`r${i}`, { resolve, reject });
      }),
  }));
  const settle = async (id: string, error?: Error) => {
    const p = pending.get(id)!;
    pending.delete(id);
    if (error) p.reject(error);
    else p.resolve(`bytes of ${id}`);
    await new Promise((r) => setTimeout(r, 0)); // let the queue react
  };
  return { items, startedIds, pending, settle };
}

describe('ReadAhead', () => {
  it('keeps at most maxReads in flight and maxBytes held, and refills as items are taken', async () => {
    const m = manual([10, 10, 10, 10, 10, 10, 10, 10]);
    const ra = new ReadAhead(m.items, { maxBytes: 30, maxReads: 2 });
    expect(m.startedIds).toEqual(['r0', 'r1']); // two in flight
    await m.settle('r0');
    expect(m.startedIds).toEqual(['r0', 'r1', 'r2']); // 30 bytes held: the bound
    await m.settle('r1');
    await m.settle('r2');
    expect(m.startedIds).toHaveLength(3); // nothing in flight, but 30 bytes held and not taken
    expect(await ra.take('r0')).toBe('bytes of r0');
    expect(m.startedIds).toEqual(['r0', 'r1', 'r2', 'r3']);
    for (let i = 1; i < 8; i++) {
      for (const id of [...m.pending.keys()]) await m.settle(id);
      expect(await ra.take(`r${i}`)).toBe(`bytes of r${i}`);
    }
    expect(ra.stats.peakBytes).toBeLessThanOrEqual(30);
    expect(ra.stats.peakReads).toBeLessThanOrEqual(2);
    expect(ra.stats.started).toBe(8);
  });

  it('lets one item larger than maxBytes load alone (the caller would read it anyway)', async () => {
    const m = manual([100, 5, 5]);
    const ra = new ReadAhead(m.items, { maxBytes: 30, maxReads: 4 });
    expect(m.startedIds).toEqual(['r0']);
    await m.settle('r0');
    expect(m.startedIds).toEqual(['r0']);
    await ra.take('r0');
    expect(m.startedIds).toEqual(['r0', 'r1', 'r2']);
  });

  it('an item asked for before it started is the caller’s to read, and is never loaded afterwards', async () => {
    const m = manual([10, 10, 10, 10]);
    const ra = new ReadAhead(m.items, { maxBytes: 20, maxReads: 4 });
    expect(m.startedIds).toEqual(['r0', 'r1']);
    expect(ra.take('r3')).toBeUndefined(); // out of order: a miss
    expect(ra.take('r3')).toBeUndefined();
    await m.settle('r0');
    await ra.take('r0');
    await m.settle('r1');
    await ra.take('r1');
    await m.settle('r2');
    await ra.take('r2');
    expect(m.startedIds).toEqual(['r0', 'r1', 'r2']); // r3 skipped
    expect(ra.take('r0')).toBeUndefined(); // handed out once
    expect(ra.stats).toMatchObject({ taken: 3, missed: 3 });
  });

  it('stop() starts nothing more and hands out nothing', async () => {
    const m = manual([10, 10, 10]);
    const ra = new ReadAhead(m.items, { maxBytes: 10, maxReads: 1 });
    expect(m.startedIds).toEqual(['r0']);
    ra.stop();
    await m.settle('r0');
    expect(ra.take('r0')).toBeUndefined();
    expect(m.startedIds).toEqual(['r0']);
  });

  it('a failed load is given to whoever takes it, stops the read-ahead, and is never unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const m = manual([10, 10, 10, 10]);
      const ra = new ReadAhead(m.items, { maxBytes: 100, maxReads: 2 });
      await m.settle('r1', new Error('disk gone at r1'));
      await m.settle('r0');
      await new Promise((r) => setTimeout(r, 10));
      expect(m.startedIds).toEqual(['r0', 'r1']); // nothing after the failure
      expect(await ra.take('r0')).toBe('bytes of r0');
      await expect(ra.take('r1')).rejects.toThrow('disk gone at r1');
      expect(ra.take('r2')).toBeUndefined(); // the caller reads it (and meets the error itself)
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

/**
 * Through the checkpoint reader: a hand-built archive (no 64-byte alignment, so payloads sit at odd offsets) read
 * with and without read-ahead, tensors asked for in an order unlike the file's, over a file whose reads answer out
 * of order. Truth: the values written into the archive.
 */
describe('Checkpoint.readAhead', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-ahead-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
  const big = values(300_000, 1); // larger than the window below: loaded alone
  const mid = values(5_000, 2);
  const small = values(3, 3);
  const half = Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x7bff]); // 1, -2, 0.333…, 65504
  const viewBase = values(6, 4);
  const tensors: FakeTensor[] = [
    { key: 'module.small', storageType: 'FloatStorage', storageKey: '0', numel: 3, shape: [3], stride: [1] },
    {
      key: 'module.big',
      storageType: 'FloatStorage',
      storageKey: '1',
      numel: big.length,
      shape: [600, 500],
      stride: [500, 1],
    },
    { key: 'module.h', storageType: 'HalfStorage', storageKey: '2', numel: 4, shape: [4], stride: [1] },
    {
      key: 'module.mid',
      storageType: 'FloatStorage',
      storageKey: '3',
      numel: mid.length,
      shape: [mid.length],
      stride: [1],
    },
    { key: 'module.whole', storageType: 'FloatStorage', storageKey: '4', numel: 6, shape: [2, 3], stride: [3, 1] },
    { key: 'module.view', storageType: 'FloatStorage', storageKey: '4', numel: 6, offset: 4, shape: [2], stride: [1] },
  ];
  const expected: Record<string, number[]> = {
    small: [...small],
    big: [...big],
    h: [1, -2, 0.333251953125, 65504],
    mid: [...mid],
    whole: [...viewBase],
    view: [...viewBase.subarray(4)],
  };
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let file: Uint8Array;
  beforeAll(async () => {
    const p = join(dir, 'odd.pth.tar');
    await writeZip(p, [
      { name: 'odd/data.pkl', data: statePickle(tensors) },
      { name: 'odd/data/0', data: bytes(small) },
      { name: 'odd/data/1', data: bytes(big) },
      { name: 'odd/data/2', data: bytes(half) },
      { name: 'odd/data/3', data: bytes(mid) },
      { name: 'odd/data/4', data: bytes(viewBase) },
    ]);
    file = new Uint8Array(readFileSync(p));
  });

  /** The archive in memory; reads answer after a random delay (out of order); once `opts.failAt` is set, reads touching it fail. */
  function memoryFile(opts: { failAt?: number } = {}): RandomAccessFile & { reads: [number, number][] } {
    const reads: [number, number][] = [];
    return {
      reads,
      async read(buffer, offset, length, position) {
        reads.push([position, length]);
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        if (opts.failAt !== undefined && position <= opts.failAt && opts.failAt < position + length)
          throw new Error(`EIO at byte ${opts.failAt}`);
        const end = Math.min(file.length, position + length);
        buffer.set(file.subarray(position, end), offset);
        return { bytesRead: Math.max(0, end - position) };
      },
      async close() {},
    };
  }
  const ORDER = ['mid', 'whole', 'view', 'h', 'big', 'small']; // not the file's

  it('every tensor reads back the written values, read ahead or not, in any order', async () => {
    for (const ahead of [false, true]) {
      const ck = await openCheckpointFrom(memoryFile(), 'odd.pth.tar', file.length);
      if (ahead) ck.readAhead(['small', 'big', 'h', 'mid', 'whole', 'view'], { maxBytes: 64 << 10, maxReads: 3 });
      // Concurrently, as a caller may: each read takes its own bytes.
      const got = await Promise.all(ORDER.map(async (k) => [k, [...(await ck.tensors.get(k)!.read())]] as const));
      expect(Object.fromEntries(got), `readAhead ${ahead}`).toEqual(expected);
      if (ahead) expect(ck.readAheadStats()).toMatchObject({ started: expect.any(Number), missed: expect.any(Number) });
      if (ahead) expect(ck.readAheadStats()!.taken).toBeGreaterThan(0);
      await ck.close();
    }
  });

  it('reads each read-ahead record once: no more bytes than the records themselves (and their headers)', async () => {
    const f = memoryFile();
    const ck = await openCheckpointFrom(f, 'odd.pth.tar', file.length);
    const afterOpen = ck.readStats().bytesRead;
    ck.readAhead(['small', 'big', 'h', 'mid', 'whole']);
    for (const k of ['small', 'big', 'h', 'mid', 'whole']) await ck.tensors.get(k)!.read();
    const payload = [small, big, half, mid, viewBase].reduce((a, t) => a + t.byteLength, 0);
    // Per record: ≤ 63 bytes before the local header (the aligned start), the header and its name.
    expect(ck.readStats().bytesRead - afterOpen).toBeLessThanOrEqual(payload + 5 * (63 + 30 + 12));
    expect(ck.readAheadStats()).toMatchObject({ taken: 5, missed: 0 });
    await ck.close();
  });

  it('a read error surfaces at the tensor whose bytes failed, not before; the others still read', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      // Fail inside data/3 (mid): find its payload by its bytes.
      const midAt = Buffer.from(file).indexOf(Buffer.from(bytes(mid)));
      expect(midAt).toBeGreaterThan(0);
      const fault: { failAt?: number } = {};
      const ck = await openCheckpointFrom(memoryFile(fault), 'odd.pth.tar', file.length);
      fault.failAt = midAt + 100; // after the open (its tail read covers this small file)
      ck.readAhead(['small', 'big', 'h', 'mid', 'whole'], { maxBytes: 64 << 20, maxReads: 8 });
      await new Promise((r) => setTimeout(r, 30)); // every load has settled, mid's with the error
      expect([...(await ck.tensors.get('small')!.read())]).toEqual(expected.small);
      expect([...(await ck.tensors.get('h')!.read())]).toEqual(expected.h);
      await expect(ck.tensors.get('mid')!.read()).rejects.toThrow(`EIO at byte ${midAt + 100}`);
      expect([...(await ck.tensors.get('whole')!.read())]).toEqual(expected.whole);
      expect(unhandled).toEqual([]);
      await ck.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('after close, no read-ahead bytes are handed out', async () => {
    const ck = await openCheckpointFrom(memoryFile(), 'odd.pth.tar', file.length);
    ck.readAhead(['small', 'big']);
    const read = ck.tensors.get('big')!.read();
    await ck.close();
    await expect(read).rejects.toThrow('checkpoint is closed');
    await expect(ck.tensors.get('small')!.read()).rejects.toThrow('checkpoint is closed');
  });
});
