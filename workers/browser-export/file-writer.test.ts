/**
 * The package writer on its own thread (file-writer-client.ts ↔ file-writer-host.ts, wired in process with
 * asynchronous, ordered messages and real buffer transfers) over an in-memory OPFS that, like the browser, refuses
 * to remove a file a sync access handle holds open: the file holds exactly the bytes written, in order, with
 * their sha256; a fast producer that awaits `drain()` never has more than MAX_PENDING bytes in flight; a storage
 * error reaches the producer; the package folder can be removed once `settle()` resolves; a dead worker fails
 * its open files. And the writer itself: the file is grown ahead in steps and cut to its bytes on close.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoryOpfs } from '../testing/memory-opfs.ts';
import { inProcessWriter } from '../testing/in-process-writer.ts';
import { Sha256 } from '../../tools/export/package/sha256.ts';
import { MAX_PENDING } from './file-writer-client.ts';
import { GROW_AHEAD, opfsFileWriter, WRITE_BUFFER } from './opfs-file-writer.ts';
import { beginPackage, PACKAGES_DIR, StorageFullError, type DirHandleLike, type SyncHandleLike } from './opfs-store.ts';

/** Deterministic pieces of mixed sizes: small ones (tensors, pads), some larger than a chunk. */
function pieces(count: number, seed = 7): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const n = k % 50 === 49 ? WRITE_BUFFER + 4093 * k : k % 3 === 0 ? 17 : 4096 + 31 * k;
    const p = new Uint8Array(n);
    for (let i = 0; i < n; i += 61) p[i] = seed = (seed * 1103515245 + 12345) >>> 16;
    out.push(p);
  }
  return out;
}

async function folder(root: DirHandleLike): Promise<DirHandleLike> {
  return root.getDirectoryHandle(PACKAGES_DIR);
}
async function names(root: DirHandleLike): Promise<string[]> {
  const out: string[] = [];
  for await (const n of (await folder(root)).keys()) out.push(n);
  return out;
}
async function stored(root: DirHandleLike, dir: string, name: string): Promise<Buffer> {
  const d = await (await folder(root)).getDirectoryHandle(dir);
  return Buffer.from(await (await (await d.getFileHandle(name)).getFile()).arrayBuffer());
}

describe('the writer worker (client ↔ host)', () => {
  it('writes exactly the bytes given, in order, with their sha256, and bounds the bytes in flight', async () => {
    const fs = memoryOpfs();
    const w = inProcessWriter();
    expect(await w.client.ready).toBe(true);
    const times: number[] = [];
    const pkg = await beginPackage(fs.root, 'p1', () => new Sha256(), {
      needed: 0,
      free: async () => null,
      writer: w.client,
      onFileTimes: (writeMs, hashMs) => times.push(writeMs, hashMs),
    });
    const weights = await pkg.sink.create('weights.bin');
    const small = await pkg.sink.create('a.onnx'); // two files open at once, interleaved
    const all = pieces(400);
    for (const [i, p] of all.entries()) {
      weights.write(p);
      p.fill(0xee); // the caller may reuse its bytes once write returns
      if (i % 7 === 0) small.write(new Uint8Array([i & 255]));
      await weights.drain!();
    }
    const expected = Buffer.concat(pieces(400));
    expect(await weights.close()).toEqual({
      size: expected.length,
      sha256: createHash('sha256').update(expected).digest('hex'),
    });
    const tiny = Buffer.from(Array.from({ length: 58 }, (_, k) => (k * 7) & 255));
    expect((await small.close()).sha256).toBe(createHash('sha256').update(tiny).digest('hex'));
    expect(times.length).toBe(4);
    expect(w.maxPending).toBeGreaterThan(0);
    expect(w.maxPending).toBeLessThanOrEqual(MAX_PENDING + 2 * WRITE_BUFFER);
    // Grown ahead while written, cut to the bytes written on close.
    expect((await stored(fs.root, '.partial-p1', 'weights.bin')).equals(expected)).toBe(true);
    expect((await stored(fs.root, '.partial-p1', 'a.onnx')).equals(tiny)).toBe(true);
    await pkg.commit();
    expect(await names(fs.root)).toEqual(['p1']);
  });

  it('drain() waits while the writer is behind and resumes as it catches up', async () => {
    const fs = memoryOpfs();
    const w = inProcessWriter();
    const pkg = await beginPackage(fs.root, 'p2', () => new Sha256(), {
      needed: 0,
      free: async () => null,
      writer: w.client,
    });
    const f = await pkg.sink.create('weights.bin');
    w.hold();
    f.write(new Uint8Array(MAX_PENDING + 2 * WRITE_BUFFER));
    let drained = false;
    const d = f.drain!().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(drained).toBe(false);
    w.release();
    await d;
    expect(drained).toBe(true);
    expect((await f.close()).size).toBe(MAX_PENDING + 2 * WRITE_BUFFER);
    await pkg.discard();
    expect(await names(fs.root)).toEqual([]);
  });

  it('a full storage reaches the producer as a StorageFullError; discard removes the folder once the worker lets go', async () => {
    const fs = memoryOpfs();
    const w = inProcessWriter();
    const pkg = await beginPackage(fs.root, 'p3', () => new Sha256(), {
      needed: 50 << 20,
      free: async () => null,
      writer: w.client,
    });
    const open = await pkg.sink.create('a.onnx'); // open, not failed: held by the worker until discarded
    open.write(new Uint8Array(10));
    fs.budget = fs.used() + 3 * WRITE_BUFFER;
    const f = await pkg.sink.create('weights.bin');
    let err: unknown;
    try {
      for (let i = 0; i < 40; i++) {
        f.write(new Uint8Array(WRITE_BUFFER));
        await f.drain!();
      }
      await f.close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageFullError);
    expect((err as Error).message).toMatch(
      /needs about 50 MB\. Nothing was stored .*\(The quota has been exceeded\.\)/,
    );
    expect(() => f.write(new Uint8Array(1))).toThrow(StorageFullError);
    // Removing the folder while the worker still holds a.onnx open would be refused (as in the browser).
    await expect((await folder(fs.root)).removeEntry('.partial-p3', { recursive: true })).rejects.toThrow(
      'a file is open',
    );
    await pkg.discard();
    expect(await names(fs.root)).toEqual([]);
  });

  it('a worker that dies fails the open files; one that does not start is reported as not ready', async () => {
    const fs = memoryOpfs();
    const w = inProcessWriter();
    const pkg = await beginPackage(fs.root, 'p4', () => new Sha256(), {
      needed: 0,
      free: async () => null,
      writer: w.client,
    });
    const f = await pkg.sink.create('weights.bin');
    f.write(new Uint8Array(WRITE_BUFFER + 1));
    const closing = f.close();
    w.die('out of memory');
    await expect(closing).rejects.toThrow('the package writer stopped: out of memory');
    const late = await pkg.sink.create('b.onnx');
    expect(() => late.write(new Uint8Array(1))).toThrow('the package writer stopped');

    const never = inProcessWriter({ start: 'fails' });
    expect(await never.client.ready).toBe(false);
  });
});

describe('opfsFileWriter', () => {
  /** A sync handle over a growable buffer, counting truncates and writes. */
  function handle(withTruncate: boolean) {
    let bytes = new Uint8Array(0);
    const calls = { truncates: [] as number[], writes: 0, closed: false };
    const resize = (n: number) => {
      const b = new Uint8Array(n);
      b.set(bytes.subarray(0, Math.min(n, bytes.length)));
      bytes = b;
    };
    const h: SyncHandleLike = {
      write(buffer, options) {
        const at = options?.at ?? 0;
        if (at + buffer.length > bytes.length) resize(at + buffer.length);
        bytes.set(buffer, at);
        calls.writes++;
        return buffer.length;
      },
      flush: () => undefined,
      close: () => void (calls.closed = true),
      ...(withTruncate
        ? {
            truncate(n: number) {
              calls.truncates.push(n);
              resize(n);
            },
          }
        : {}),
    };
    return { h, calls, bytes: () => bytes };
  }

  it('grows the file ahead in GROW_AHEAD steps and cuts it to the bytes written; works without truncate too', () => {
    for (const withTruncate of [true, false]) {
      const { h, calls, bytes } = handle(withTruncate);
      const w = opfsFileWriter(h, new Sha256());
      const all = pieces(200, 3);
      for (const p of all) w.write(p);
      const expected = Buffer.concat(all);
      expect(w.finish()).toEqual({
        size: expected.length,
        sha256: createHash('sha256').update(expected).digest('hex'),
      });
      expect(Buffer.from(bytes()).equals(expected)).toBe(true);
      expect(calls.closed).toBe(true);
      if (withTruncate) {
        // One grow per GROW_AHEAD of data (not one per write), then the cut to the exact size.
        expect(calls.truncates.length).toBeLessThanOrEqual(Math.ceil(expected.length / GROW_AHEAD) + 1);
        expect(calls.truncates.at(-1)).toBe(expected.length);
      }
      expect(calls.writes).toBeLessThanOrEqual(Math.ceil(expected.length / WRITE_BUFFER) + 4);
    }
  });

  it('near the quota, a step ahead that does not fit is skipped: bytes that fit are still written', async () => {
    const fs = memoryOpfs(20 << 20); // room for 12 MiB of data, not for the 64 MiB step ahead
    const dir = await fs.root.getDirectoryHandle('d', { create: true });
    const fh = await dir.getFileHandle('weights.bin', { create: true });
    const w = opfsFileWriter(await fh.createSyncAccessHandle!(), new Sha256());
    const data = new Uint8Array(12 << 20).map((_, i) => i & 255);
    w.write(data);
    expect(w.finish().size).toBe(data.length);
    expect(Buffer.from(await (await fh.getFile()).arrayBuffer()).equals(Buffer.from(data))).toBe(true);
    // Bytes that do not fit still fail, as a quota error.
    const more = opfsFileWriter(
      await (
        await dir.getFileHandle('b', { create: true })
      ).createSyncAccessHandle!(),
      new Sha256(),
    );
    expect(() => more.write(new Uint8Array(WRITE_BUFFER + 1))).toThrow('The quota has been exceeded.');
  });
});
