/**
 * The OPFS package writer's write path: small writes are gathered into few large ones (each write that grows an
 * OPFS file is a quota round trip in the browser), the file still holds exactly the bytes written, in order, with
 * their sha256; a quota error at the last flush is a StorageFullError; an aborted file writes no buffered tail.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memoryOpfs } from '../testing/memory-opfs.ts';
import { Sha256 } from '../../tools/export/package/sha256.ts';
import { beginPackage, PACKAGES_DIR, StorageFullError, type DirHandleLike } from './opfs-store.ts';
import { WRITE_BUFFER } from './opfs-file-writer.ts';

/** Counts the sync-handle writes reaching the (in-memory) file system. */
function counting(root: DirHandleLike, writes: number[]): DirHandleLike {
  const wrapDir = (d: DirHandleLike): DirHandleLike => ({
    kind: 'directory',
    name: d.name,
    keys: () => d.keys(),
    removeEntry: (n, o) => d.removeEntry(n, o),
    getDirectoryHandle: async (n, o) => wrapDir(await d.getDirectoryHandle(n, o)),
    getFileHandle: async (n, o) => {
      const f = await d.getFileHandle(n, o);
      return {
        kind: 'file',
        name: f.name,
        getFile: () => f.getFile(),
        createSyncAccessHandle: async () => {
          const h = await f.createSyncAccessHandle!();
          return {
            write: (b, opt) => {
              writes.push(b.length);
              return h.write(b, opt);
            },
            flush: () => h.flush(),
            close: () => h.close(),
          };
        },
      };
    },
  });
  return wrapDir(root);
}

async function fileBytes(root: DirHandleLike, dir: string, name: string): Promise<Uint8Array> {
  const d = await (await root.getDirectoryHandle(PACKAGES_DIR)).getDirectoryHandle(dir);
  return new Uint8Array(await (await (await d.getFileHandle(name)).getFile()).arrayBuffer());
}

/** Deterministic pieces: many small ones (tensors, 64-byte pads) and one larger than the buffer. */
function pieces(): Uint8Array[] {
  const out: Uint8Array[] = [];
  let seed = 7;
  const sizes = [...Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 17 : 4096 + i)), WRITE_BUFFER + 5, 100];
  for (const n of sizes) {
    const p = new Uint8Array(n);
    for (let i = 0; i < n; i += 97) p[i] = seed = (seed * 1103515245 + 12345) >>> 16;
    out.push(p);
  }
  return out;
}

describe('beginPackage (OPFS writer)', () => {
  it('gathers thousands of small writes into a few and stores exactly the bytes written, with their sha256', async () => {
    const fs = memoryOpfs();
    const writes: number[] = [];
    const pending = await beginPackage(counting(fs.root, writes), 'p1', () => new Sha256(), {
      needed: 0,
      free: async () => null,
    });
    const file = await pending.sink.create('weights.bin');
    const all = pieces();
    for (const p of all) file.write(p);
    const { size, sha256 } = await file.close();
    const expected = Buffer.concat(all);
    expect(size).toBe(expected.length);
    expect(sha256).toBe(createHash('sha256').update(expected).digest('hex'));
    expect(Buffer.from(await fileBytes(fs.root, '.partial-p1', 'weights.bin')).equals(expected)).toBe(true);
    // 3002 writes of ~13 MiB in all: a handful of handle writes (each ≤ the buffer, or the one large piece).
    expect(writes.length).toBeLessThanOrEqual(Math.ceil(expected.length / WRITE_BUFFER) + 2);
    expect(writes.reduce((a, b) => a + b, 0)).toBe(expected.length);
  });

  it('a quota error when the last buffered bytes are written is a StorageFullError; an aborted file writes no tail', async () => {
    const fs = memoryOpfs();
    const writes: number[] = [];
    const pending = await beginPackage(counting(fs.root, writes), 'p2', () => new Sha256(), {
      needed: 5 << 20,
      free: async () => null,
    });
    fs.budget = fs.used() + 1000;
    const full = await pending.sink.create('a.onnx');
    full.write(new Uint8Array(4000)); // buffered: no error yet
    expect(writes).toEqual([]);
    await expect(full.close()).rejects.toThrow(StorageFullError);
    const aborted = await pending.sink.create('b.onnx');
    aborted.write(new Uint8Array(10));
    aborted.abort();
    expect(writes).toEqual([4000]);
    await pending.discard();
  });
});
