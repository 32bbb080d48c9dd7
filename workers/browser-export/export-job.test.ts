/**
 * The browser's export job in Node, over an in-memory OPFS (workers/testing/memory-opfs.ts) and a File of a golden
 * checkpoint: the stored package is the CLI's byte for byte; a package that does not fit is refused before writing
 * with how much it needs; a quota error in the middle of writing, a refused checkpoint and a cancel all leave
 * the stored packages exactly as they were and no partial folder.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPackage } from '../../tools/export/package/export.ts';
import { headOptionsFromManifest } from '../../tools/export/plan/index.ts';
import { GOLDEN_DIR } from '../../tools/node-host/testing/golden-package.ts';
import { memoryOpfs, type MemoryOpfs } from '../testing/memory-opfs.ts';
import { exportInBrowser, type BrowserExportOptions, type SourceHasher } from './export-job.ts';
import { listStored, PACKAGES_DIR, StorageFullError, type DirHandleLike } from './opfs-store.ts';
import { ExportCancelled, hashBlob } from './blob-file.ts';
import { fastSha256 } from './hashers.ts';

const VARIANT = 'faceptor_base';
const CKPT = join(GOLDEN_DIR, VARIANT, 'checkpoint.pth.tar');
let work: string;
let file: File;
let options: BrowserExportOptions;
let cliFiles: unknown;

async function folderNames(root: DirHandleLike): Promise<string[]> {
  const dir = await root.getDirectoryHandle(PACKAGES_DIR, { create: true });
  const out: string[] = [];
  for await (const n of dir.keys()) out.push(n);
  return out.sort();
}

/** Every stored file's bytes, to prove nothing already stored changed. */
async function snapshot(fs: MemoryOpfs): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const dir = await fs.root.getDirectoryHandle(PACKAGES_DIR, { create: true });
  for (const n of await folderNames(fs.root)) {
    const d = await dir.getDirectoryHandle(n);
    for await (const f of d.keys()) out[`${n}/${f}`] = (await (await d.getFileHandle(f)).getFile()).size;
  }
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'faceptor-browser-export-'));
  const heads = headOptionsFromManifest(JSON.parse(await readFile(join(GOLDEN_DIR, VARIANT, 'manifest.json'), 'utf8')));
  options = { precision: 'fp16', ...heads, untrained: true };
  cliFiles = (await exportPackage(CKPT, join(work, 'cli'), { ...heads, precision: 'fp16', untrained: true })).manifest
    .files;
  file = new File([await readFile(CKPT)], 'checkpoint.pth.tar');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('exportInBrowser', () => {
  it("stores the CLI's package (same files, sizes, sha256s) and lists it with its provenance", async () => {
    const fs = memoryOpfs();
    const phases = new Set<string>();
    const r = await exportInBrowser(file, options, {
      root: fs.root,
      free: async () => null,
      onProgress: (p) => phases.add(p.phase),
    });
    const dir = await (await fs.root.getDirectoryHandle(PACKAGES_DIR)).getDirectoryHandle(r.stored.id);
    const manifest = JSON.parse(await (await (await dir.getFileHandle('faceptor.json')).getFile()).text());
    expect(manifest.files).toEqual(cliFiles);
    expect([...phases]).toEqual(['reading', 'converting', 'hashing', 'storing']);
    expect(await listStored(fs.root)).toEqual([r.stored]);
    expect(r.stored).toMatchObject({
      sourceFile: 'checkpoint.pth.tar',
      variant: 'base',
      precision: 'fp16',
      untrained: true,
    });
    expect(r.stored.sourceSha256).toBe(
      createHash('sha256')
        .update(await readFile(CKPT))
        .digest('hex'),
    );
    expect(await folderNames(fs.root)).toEqual([r.stored.id]);
  });

  it('refuses a package that does not fit before writing, saying how much it needs and how much is free', async () => {
    const fs = memoryOpfs();
    await exportInBrowser(file, options, { root: fs.root, free: async () => null });
    const before = await snapshot(fs);
    const err = await exportInBrowser(file, options, { root: fs.root, free: async () => 1 << 20 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageFullError);
    expect((err as Error).message).toMatch(
      /needs about \d+ MB, the browser grants this page 1 MB more\. Nothing was stored and the models already stored are unchanged/,
    );
    expect(await snapshot(fs)).toEqual(before);
  });

  it('a quota error while writing removes the partial package and leaves the stored ones as they were', async () => {
    const fs = memoryOpfs();
    await exportInBrowser(file, options, { root: fs.root, free: async () => null });
    const before = await snapshot(fs);
    fs.budget = fs.used() + 200_000; // room for part of weights.bin only
    const err = await exportInBrowser(file, options, { root: fs.root, free: async () => fs.budget - fs.used() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageFullError);
    expect((err as Error).message).toMatch(/needs about \d+ MB, the browser grants this page \d+ MB more/);
    expect(await snapshot(fs)).toEqual(before);
  });

  it('a refused checkpoint and a cancelled export store nothing', async () => {
    const fs = memoryOpfs();
    const text = new File([new TextEncoder().encode('not a checkpoint')], 'notes.txt');
    await expect(exportInBrowser(text, options, { root: fs.root, free: async () => null })).rejects.toThrow(
      'not a zip file (a torch checkpoint is a zip archive) (notes.txt)',
    );
    const controller = new AbortController();
    const run = exportInBrowser(file, options, {
      root: fs.root,
      free: async () => null,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'converting' && p.done > 0) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(ExportCancelled);
    expect(await folderNames(fs.root)).toEqual([]);
  });

  it('hashes the checkpoint through a SourceHasher beside conversion: same sha256, stopped when the export ends early', async () => {
    const fs = memoryOpfs();
    const signals: AbortSignal[] = [];
    // A stand-in for the hash worker: hashes on this thread, asynchronously, reporting progress.
    const sourceHasher: SourceHasher = async (blob, { signal, onProgress }) => {
      signals.push(signal);
      return hashBlob(blob, await fastSha256(), { signal, onProgress });
    };
    const phases: string[] = [];
    const r = await exportInBrowser(file, options, {
      root: fs.root,
      free: async () => null,
      sourceHasher,
      onProgress: (p) => {
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
      },
    });
    expect(r.stored.sourceSha256).toBe(
      createHash('sha256')
        .update(await readFile(CKPT))
        .digest('hex'),
    );
    expect(r.timings.concurrentHash).toBe(true);
    expect(phases).toEqual(['reading', 'converting', 'hashing', 'storing']);
    expect(signals).toHaveLength(1);

    // Cancelled mid-conversion: the hasher is told to stop, and nothing is stored.
    const controller = new AbortController();
    const run = exportInBrowser(file, options, {
      root: fs.root,
      free: async () => null,
      sourceHasher,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'converting' && p.done > 0) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(ExportCancelled);
    expect(signals[1]?.aborted).toBe(true);
    expect(await folderNames(fs.root)).toEqual([r.stored.id]);

    // A hasher that fails fails the export with its message; nothing more is stored.
    const failing: SourceHasher = async () => {
      throw new Error('the checkpoint could not be hashed: NotReadableError');
    };
    await expect(
      exportInBrowser(file, options, { root: fs.root, free: async () => null, sourceHasher: failing }),
    ).rejects.toThrow('the checkpoint could not be hashed: NotReadableError');
    expect(await folderNames(fs.root)).toEqual([r.stored.id]);
  });
});
