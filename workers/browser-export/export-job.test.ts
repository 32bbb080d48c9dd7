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
import { listStored, PACKAGES_DIR, recordSourceSha256, StorageFullError, type DirHandleLike } from './opfs-store.ts';
import { parseManifest } from '../../src/core/faceptor/manifest.ts';
import { ExportCancelled, hashBlob } from './blob-file.ts';
import { fastSha256 } from './hashers.ts';
import { inProcessWriter } from '../testing/in-process-writer.ts';

const VARIANT = 'faceptor_base';
const CKPT = join(GOLDEN_DIR, VARIANT, 'checkpoint.pth.tar');
let work: string;
let file: File;
let options: BrowserExportOptions;
let cliFiles: unknown;
let cliManifestText: string;
let ckptSha: string;

/** The stored faceptor.json of package `id`, as text. */
async function manifestText(fs: MemoryOpfs, id: string): Promise<string> {
  const dir = await (await fs.root.getDirectoryHandle(PACKAGES_DIR)).getDirectoryHandle(id);
  return (await (await dir.getFileHandle('faceptor.json')).getFile()).text();
}
/** The manifest text with its export time blanked (the one field that differs between two exports). */
const timeless = (text: string) => text.replace(/"exportedAt": "[^"]*"/, '"exportedAt": "T"');

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
  cliManifestText = await readFile(join(work, 'cli', 'faceptor.json'), 'utf8');
  file = new File([await readFile(CKPT)], 'checkpoint.pth.tar');
  ckptSha = createHash('sha256')
    .update(await readFile(CKPT))
    .digest('hex');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('exportInBrowser', () => {
  it("stores the CLI's package first, then records the checkpoint's sha256: the final manifest is the CLI's", async () => {
    const fs = memoryOpfs();
    const phases = new Set<string>();
    const hashed: number[] = [];
    const r = await exportInBrowser(file, options, {
      root: fs.root,
      free: async () => null,
      onProgress: (p) => phases.add(p.phase),
      onHashProgress: (d) => hashed.push(d),
    });
    // At the commit: stored, listed and complete, with "" (not recorded yet) and nothing hashed so far.
    const atCommit = JSON.parse(await manifestText(fs, r.stored.id));
    expect(atCommit.files).toEqual(cliFiles);
    expect(atCommit.provenance.sourceSha256).toBe('');
    expect(parseManifest(atCommit).provenance.sourceSha256).toBe('');
    expect([...phases]).toEqual(['reading', 'converting', 'storing']);
    expect(hashed).toEqual([]);
    expect(await listStored(fs.root)).toEqual([r.stored]);
    expect(r.stored).toMatchObject({
      sourceFile: 'checkpoint.pth.tar',
      sourceSha256: '',
      variant: 'base',
      precision: 'fp16',
      untrained: true,
    });
    expect(r.timings.storedMs).toBeGreaterThan(0);
    expect(r.timings.provenanceMs).toBe(0);
    expect(r.timings.concurrentHash).toBe(false);

    const outcome = await r.provenance;
    expect(outcome).toMatchObject({ state: 'recorded', sha256: ckptSha });
    expect(hashed.at(-1)).toBe(file.size);
    expect(outcome.timings.provenanceMs).toBeGreaterThanOrEqual(outcome.timings.storedMs);
    // Rewritten in place with the digest, byte for byte the text the CLI writes (but for the export time).
    expect(timeless(await manifestText(fs, r.stored.id))).toBe(timeless(cliManifestText));
    expect((await listStored(fs.root))[0]).toEqual({ ...r.stored, sourceSha256: ckptSha });
    expect(await folderNames(fs.root)).toEqual([r.stored.id]);
  });

  it('the package is committed before the hash ends; a failed or cancelled hash keeps it, complete, with ""', async () => {
    const fs = memoryOpfs();
    // A hasher held until released: the export must not wait for it.
    let release!: (digest: string) => void;
    const held: SourceHasher = () => new Promise<string>((resolve) => (release = resolve));
    const r = await exportInBrowser(file, options, { root: fs.root, free: async () => null, sourceHasher: held });
    expect(r.timings.concurrentHash).toBe(true);
    expect((await listStored(fs.root)).map((p) => [p.id, p.sourceSha256])).toEqual([[r.stored.id, '']]);
    release(ckptSha);
    expect(await r.provenance).toMatchObject({ state: 'recorded', sha256: ckptSha });
    expect(JSON.parse(await manifestText(fs, r.stored.id)).provenance.sourceSha256).toBe(ckptSha);

    // The hasher fails: the package stays, listed, its manifest valid with "", and the outcome says so.
    const failing: SourceHasher = async () => {
      throw new Error('NotReadableError');
    };
    const f = await exportInBrowser(file, options, { root: fs.root, free: async () => null, sourceHasher: failing });
    const failed = await f.provenance;
    expect(failed).toMatchObject({ state: 'failed', cancelled: false });
    expect(failed.state === 'failed' && failed.message).toBe(
      "the checkpoint's sha256 was not recorded (NotReadableError); the package is stored and runs without it",
    );
    const kept = await manifestText(fs, f.stored.id);
    expect(parseManifest(JSON.parse(kept)).provenance.sourceSha256).toBe('');
    expect(JSON.parse(kept).files).toEqual(cliFiles);

    // The swap of the rewritten manifest fails (crash, quota): the old manifest stays whole, with "".
    fs.failNextClose = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const q = await exportInBrowser(file, options, { root: fs.root, free: async () => null });
    const before = await manifestText(fs, q.stored.id);
    expect(await q.provenance).toMatchObject({ state: 'failed', cancelled: false });
    expect(await manifestText(fs, q.stored.id)).toBe(before);

    // Cancelled while hashing after the commit: the hash stops, the package stays with "".
    const controller = new AbortController();
    const c = await exportInBrowser(file, options, {
      root: fs.root,
      free: async () => null,
      signal: controller.signal,
      onHashProgress: () => controller.abort(),
    });
    const stopped = await c.provenance;
    expect(stopped).toMatchObject({ state: 'failed', cancelled: true });
    expect(stopped.state === 'failed' && stopped.message).toMatch(/the hash was cancelled\); the package is stored/);
    expect(parseManifest(JSON.parse(await manifestText(fs, c.stored.id))).provenance.sourceSha256).toBe('');
    expect((await listStored(fs.root)).map((p) => p.id).sort()).toEqual(
      [r.stored.id, f.stored.id, q.stored.id, c.stored.id].sort(),
    );
    expect(await folderNames(fs.root)).toEqual([r.stored.id, f.stored.id, q.stored.id, c.stored.id].sort());
  });

  it('records the sha256 only into a manifest this exporter wrote with "" (never over another digest or text)', async () => {
    const fs = memoryOpfs();
    const r = await exportInBrowser(file, options, { root: fs.root, free: async () => null });
    await r.provenance;
    await expect(recordSourceSha256(fs.root, r.stored.id, 'b'.repeat(64))).rejects.toThrow(
      'already records another checkpoint sha256',
    );
    await recordSourceSha256(fs.root, r.stored.id, ckptSha); // the same digest again: nothing to do
    const dir = await (await fs.root.getDirectoryHandle(PACKAGES_DIR)).getDirectoryHandle(r.stored.id);
    const w = await (await dir.getFileHandle('faceptor.json')).createWritable!();
    await w.write(new TextEncoder().encode(JSON.stringify({ provenance: { sourceSha256: '' } })));
    await w.close();
    await expect(recordSourceSha256(fs.root, r.stored.id, ckptSha)).rejects.toThrow('is not the one this export wrote');
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
    expect(await r.provenance).toMatchObject({ state: 'recorded', sha256: ckptSha });
    expect((await listStored(fs.root))[0]?.sourceSha256).toBe(ckptSha);
    expect(r.timings.concurrentHash).toBe(true);
    expect(phases).toEqual(['reading', 'converting', 'storing']);
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
  });

  it("with the writer worker: the CLI's bytes; a quota error or a cancel leaves no partial folder; one that does not start is not needed", async () => {
    const fs = memoryOpfs();
    const writers: ReturnType<typeof inProcessWriter>[] = [];
    const startFileWriter = () => {
      const w = inProcessWriter();
      writers.push(w);
      return w.client;
    };
    const r = await exportInBrowser(file, options, { root: fs.root, free: async () => null, startFileWriter });
    expect(r.timings.writerThread).toBe(true);
    expect(JSON.parse(await manifestText(fs, r.stored.id)).files).toEqual(cliFiles);
    expect(await r.provenance).toMatchObject({ state: 'recorded', sha256: ckptSha });
    expect(timeless(await manifestText(fs, r.stored.id))).toBe(timeless(cliManifestText));

    // The storage fills up while the writer thread writes weights.bin: refused, nothing partial left behind.
    const before = await snapshot(fs);
    fs.budget = fs.used() + 200_000;
    const err = await exportInBrowser(file, options, {
      root: fs.root,
      free: async () => fs.budget - fs.used(),
      startFileWriter,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect((err as Error).message).toMatch(/needs about \d+ MB, the browser grants this page \d+ MB more/);
    expect(await snapshot(fs)).toEqual(before);
    fs.budget = Number.POSITIVE_INFINITY;

    // Cancelled mid-conversion, with chunks still on their way to the writer.
    const controller = new AbortController();
    const run = exportInBrowser(file, options, {
      root: fs.root,
      free: async () => null,
      signal: controller.signal,
      startFileWriter,
      onProgress: (p) => {
        if (p.phase === 'converting' && p.done > 0) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(ExportCancelled);
    expect(await folderNames(fs.root)).toEqual([r.stored.id]);

    // A writer worker that fails to start: the export writes on its own thread, the same bytes.
    const n = await exportInBrowser(file, options, {
      root: fs.root,
      free: async () => null,
      startFileWriter: () => inProcessWriter({ start: 'fails' }).client,
    });
    expect(n.timings.writerThread).toBe(false);
    expect(JSON.parse(await manifestText(fs, n.stored.id)).files).toEqual(cliFiles);
    expect(writers).toHaveLength(3);
  });
});
