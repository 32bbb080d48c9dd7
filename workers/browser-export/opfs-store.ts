/**
 * Model packages exported in this browser, kept in the origin-private file system (OPFS), one folder per package
 * under `faceptor-packages/`. Why OPFS (not the Cache API, which holds downloaded packages): a dedicated worker can
 * write an OPFS file synchronously and in place (FileSystemSyncAccessHandle), so the exporter streams a 400 MB
 * weights file to disk as it is produced, with no Response body to assemble in memory first; files are read back
 * lazily as Files; and folders give the package a place that can be made to appear all at once.
 *
 * A package is written into `.partial-<id>/` and moved to `<id>/` only when complete (faceptor.json written last),
 * so a refused, cancelled or crashed export never shows up as a package; leftovers are removed before the next
 * export and at listing time. Nothing outside `faceptor-packages/` is ever touched.
 *
 * The handles are typed by the few members used (like model-cache.ts), so Node tests can pass an in-memory fake.
 */
import {
  MANIFEST_FILE,
  SHA256_NOT_RECORDED,
  type FaceptorManifest,
  type Precision,
} from '../../src/core/faceptor/manifest.ts';
import type { Variant } from '../../src/core/faceptor/tasks.ts';
import type { Hasher, PackageSink, SinkFile } from '../../tools/export/package/sink.ts';
import type { FileWriterClient } from './file-writer-client.ts';
import { isQuotaError, opfsFileWriter } from './opfs-file-writer.ts';

export const PACKAGES_DIR = 'faceptor-packages';
const PARTIAL_PREFIX = '.partial-';
export interface SyncHandleLike {
  write(buffer: Uint8Array, options?: { at?: number }): number;
  /** Sets the file's size (grows it with zeros, or cuts it). */
  truncate?(size: number): void;
  flush(): void;
  close(): void;
}
/**
 * FileSystemWritableFileStream's members used here. Writes go to a swap file that replaces the file on `close()`
 * (and is dropped on `abort()` or when the worker dies): the file is either the old bytes or the new ones, never
 * half. Exposed to dedicated workers (Chromium 86+, OPFS included).
 */
export interface WritableLike {
  write(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}
export interface FileHandleLike {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<File>;
  createSyncAccessHandle?(): Promise<SyncHandleLike>;
  createWritable?(): Promise<WritableLike>;
  move?(dir: DirHandleLike, name?: string): Promise<void>;
}
export interface DirHandleLike {
  readonly kind: 'directory';
  readonly name: string;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirHandleLike>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandleLike>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
  keys(): AsyncIterable<string>;
  move?(dir: DirHandleLike, name?: string): Promise<void>;
}

/** The OPFS root of this origin, or null where the browser has none (old browsers, some private modes). */
export async function opfsRoot(): Promise<DirHandleLike | null> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage?.getDirectory) return null;
  try {
    return (await storage.getDirectory()) as unknown as DirHandleLike;
  } catch {
    return null;
  }
}

/** One stored package as the picker lists it. */
export interface StoredPackage {
  readonly id: string;
  readonly label: string;
  readonly variant: Variant;
  readonly precision: Precision;
  readonly untrained: boolean;
  readonly sourceFile: string;
  /** "" while not recorded (SHA256_NOT_RECORDED): stored before the checkpoint was hashed. */
  readonly sourceSha256: string;
  readonly exportedAt: string;
  /** Bytes of all its files (from the manifest). */
  readonly bytes: number;
  /** Bytes of weights.bin alone (the download a precision choice is about). */
  readonly weightsBytes: number;
}

async function packagesDir(root: DirHandleLike, create: boolean): Promise<DirHandleLike | null> {
  try {
    return await root.getDirectoryHandle(PACKAGES_DIR, { create });
  } catch {
    return null;
  }
}

async function readText(dir: DirHandleLike, name: string): Promise<string> {
  return (await (await dir.getFileHandle(name)).getFile()).text();
}

function summary(id: string, m: FaceptorManifest): StoredPackage {
  return {
    id,
    label: m.label,
    variant: m.variant,
    precision: m.precision,
    untrained: m.provenance.untrained,
    sourceFile: m.provenance.sourceFile,
    sourceSha256: m.provenance.sourceSha256,
    exportedAt: m.provenance.exportedAt,
    bytes: m.files.reduce((s, f) => s + f.size, 0),
    weightsBytes: m.files.find((f) => f.path === m.weights)?.size ?? 0,
  };
}

/** A stored folder's manifest, read leniently: the loader checks it fully (and every file's sha256) on load. */
function readManifest(text: string): FaceptorManifest | null {
  try {
    const m = JSON.parse(text) as FaceptorManifest;
    return m && typeof m.label === 'string' && m.provenance && Array.isArray(m.files) ? m : null;
  } catch {
    return null;
  }
}

/**
 * The stored packages, newest first. `cleanPartials`: also remove the folders of interrupted exports (an export
 * running in another tab keeps its files open, so the browser refuses to remove them: that one is left alone).
 */
export async function listStored(root: DirHandleLike | null, cleanPartials = false): Promise<StoredPackage[]> {
  const dir = root && (await packagesDir(root, false));
  if (!dir) return [];
  const out: StoredPackage[] = [];
  for await (const name of dir.keys()) {
    if (name.startsWith(PARTIAL_PREFIX)) {
      if (cleanPartials) await dir.removeEntry(name, { recursive: true }).catch(() => undefined);
      continue;
    }
    if (name.startsWith('.')) continue;
    try {
      const m = readManifest(await readText(await dir.getDirectoryHandle(name), MANIFEST_FILE));
      if (m) out.push(summary(name, m));
    } catch {
      /* not a complete package: not listed */
    }
  }
  return out.sort((a, b) => b.exportedAt.localeCompare(a.exportedAt) || a.id.localeCompare(b.id));
}

/** The folder of a stored package (for the perception worker's package source). */
export async function storedPackageDir(root: DirHandleLike | null, id: string): Promise<DirHandleLike> {
  if (!isPackageId(id)) throw new Error(`'${id}' is not a stored package name`);
  const dir = root && (await packagesDir(root, false));
  if (!dir) throw new Error('no model is stored in this browser');
  try {
    return await dir.getDirectoryHandle(id);
  } catch {
    throw new Error(`the stored model ${id} is gone (deleted in another tab?)`);
  }
}

/** A stored package's folder name: what this module makes, nothing else (never a path). */
export function isPackageId(id: string): boolean {
  return /^[a-z0-9][a-z0-9_-]{0,80}$/.test(id);
}

/** Deletes one stored package (only a folder this module names; the loaded model keeps running from memory). */
export async function deleteStored(root: DirHandleLike | null, id: string): Promise<void> {
  if (!isPackageId(id)) throw new Error(`'${id}' is not a stored package name`);
  const dir = root && (await packagesDir(root, false));
  if (!dir) return;
  await dir.removeEntry(id, { recursive: true });
}

/**
 * Writes the checkpoint's sha256 into a stored package's `faceptor.json`, whose `provenance.sourceSha256` was stored
 * as "" (not recorded yet: the page stores the package before hashing the checkpoint, see export-job.ts). Writes
 * the text `writePackage` would have written with the digest (`JSON.stringify(m, null, 2) + '\n'`), so the final
 * manifest is the CLI's; refuses a manifest that is not exactly what this exporter wrote, or that already holds
 * another digest. Atomic (createWritable: a swap file replaces the old one on close): an interrupted write leaves
 * the package as it was — complete, with "".
 */
export async function recordSourceSha256(root: DirHandleLike, id: string, sha256: string): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`internal: not a sha256: '${sha256}'`);
  const dir = await storedPackageDir(root, id);
  const handle = await dir.getFileHandle(MANIFEST_FILE);
  const text = await (await handle.getFile()).text();
  let m: FaceptorManifest;
  try {
    m = JSON.parse(text) as FaceptorManifest;
  } catch {
    throw new Error(`the stored manifest of ${id} is not JSON`);
  }
  if (!m?.provenance || JSON.stringify(m, null, 2) + '\n' !== text)
    throw new Error(`the stored manifest of ${id} is not the one this export wrote`);
  if (m.provenance.sourceSha256 === sha256) return;
  if (m.provenance.sourceSha256 !== SHA256_NOT_RECORDED)
    throw new Error(`the stored manifest of ${id} already records another checkpoint sha256`);
  const next: FaceptorManifest = { ...m, provenance: { ...m.provenance, sourceSha256: sha256 } };
  if (!handle.createWritable) throw new Error('this browser cannot rewrite a stored file (no createWritable)');
  const out = await handle.createWritable();
  try {
    await out.write(new TextEncoder().encode(JSON.stringify(next, null, 2) + '\n'));
  } catch (e) {
    await out.abort().catch(() => undefined);
    throw e;
  }
  await out.close();
}

/** Thrown when the browser refuses to store more (the message says how much was needed). */
export class StorageFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageFullError';
  }
}

export const mb = (n: number) => `${Math.max(0, n / 2 ** 20).toFixed(0)} MB`;

/** The message for a package that does not fit; says how much is needed and that nothing stored was lost. */
export function storageFullMessage(needed: number, free: number | null): string {
  return (
    `not enough storage in this browser for the package: it needs about ${mb(needed)}` +
    `${free === null ? '' : `, the browser grants this page ${mb(free)} more`}. Nothing was stored and the models already stored are unchanged; ` +
    'delete a stored model, or free disk space, and export again'
  );
}

/**
 * A package being written: files go into `.partial-<id>/`; `commit()` moves the folder to `<id>/`, `discard()`
 * removes it. `hasher` makes each file's sha256 while it is written.
 */
export interface PendingPackage {
  readonly id: string;
  readonly sink: PackageSink;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export async function beginPackage(
  root: DirHandleLike,
  id: string,
  hasher: () => Hasher | Promise<Hasher>,
  context: {
    needed: number;
    free: () => Promise<number | null>;
    /**
     * The writer worker (file-writer-client.ts): files are written and hashed there, beside the conversion.
     * Absent: on this thread, with `hasher`.
     */
    writer?: FileWriterClient;
    /** Milliseconds one file's writes and hash took, when it is closed (the export's profile). */
    onFileTimes?: (writeMs: number, hashMs: number) => void;
  },
): Promise<PendingPackage> {
  if (!isPackageId(id)) throw new Error(`internal: bad package id ${id}`);
  const parent = await packagesDir(root, true);
  if (!parent)
    throw new Error('this browser does not let the page store files (origin-private file system unavailable)');
  const tmpName = `${PARTIAL_PREFIX}${id}`;
  const tmp = await parent.getDirectoryHandle(tmpName, { create: true });
  const open: SinkFile[] = [];
  const full = async (e: unknown) =>
    new StorageFullError(
      storageFullMessage(context.needed, await context.free().catch(() => null)) + ` (${(e as Error).message})`,
    );
  // Synchronous paths cannot ask how much is free: the export says it when it reports the error.
  const toError = (message: string, quota: boolean) =>
    quota ? new StorageFullError(`${storageFullMessage(context.needed, null)} (${message})`) : new Error(message);
  const onHere = async (fh: FileHandleLike): Promise<SinkFile> => {
    if (!fh.createSyncAccessHandle)
      throw new Error('this browser cannot write files from a worker (no FileSystemSyncAccessHandle)');
    let handle: SyncHandleLike;
    try {
      handle = await fh.createSyncAccessHandle();
    } catch (e) {
      throw isQuotaError(e) ? await full(e) : e;
    }
    const w = opfsFileWriter(handle, await hasher());
    const mapped = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        throw e instanceof Error ? toError(e.message, isQuotaError(e)) : e;
      }
    };
    let ended = false;
    return {
      write: (bytes) => mapped(() => w.write(bytes)),
      async close() {
        ended = true;
        const r = mapped(() => w.finish());
        context.onFileTimes?.(w.writeMs, w.hashMs);
        return r;
      },
      abort() {
        if (!ended) w.abandon(); // a failed package is removed: its buffered tail need not be written
        ended = true;
      },
    };
  };
  const sink: PackageSink = {
    async create(path) {
      const fh = await tmp.getFileHandle(path, { create: true });
      const file = context.writer
        ? context.writer.open(fh, { toError, onClosed: context.onFileTimes })
        : await onHere(fh);
      open.push(file);
      return file;
    },
  };
  // Files are closed (and, with the writer worker, released there) before the folder is moved or removed: the
  // browser refuses to move or remove a file that a sync access handle holds open.
  const closeAll = async () => {
    for (const f of open.splice(0)) f.abort();
    await context.writer?.settle();
  };
  return {
    id,
    sink,
    async commit() {
      await closeAll();
      if (tmp.move) {
        await tmp.move(parent, id);
        return;
      }
      // No folder move in this browser: move the files one by one into the final folder, the manifest last.
      const dest = await parent.getDirectoryHandle(id, { create: true });
      const names: string[] = [];
      for await (const n of tmp.keys()) names.push(n);
      names.sort((a, b) => Number(a === MANIFEST_FILE) - Number(b === MANIFEST_FILE));
      for (const n of names) {
        const f = await tmp.getFileHandle(n);
        if (!f.move) throw new Error('this browser cannot move stored files');
        await f.move(dest);
      }
      await parent.removeEntry(tmpName, { recursive: true }).catch(() => undefined);
    },
    async discard() {
      await closeAll();
      await parent.removeEntry(tmpName, { recursive: true }).catch(() => undefined);
    },
  };
}
