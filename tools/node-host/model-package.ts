/** ModelPackageSource over a folder on disk (the exporter's output), for the CLI, benchmarks and Node tests. */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { MANIFEST_FILE, packagePathProblem } from '../../src/core/faceptor/manifest.ts';
import { PackageFileMissing } from '../../src/pipeline/faceptor/errors.ts';
import type { ModelPackageSource } from '../../src/pipeline/faceptor/source.ts';
import { loadFaceptorPackage, type LoadPackageOptions } from '../../src/pipeline/faceptor/package.ts';
import type { FaceptorModel } from '../../src/pipeline/faceptor/model.ts';
import type { InferenceBackend } from '../../src/pipeline/backend.ts';
import { InputFileError, openRegularFile, readRegularFile } from './regular-file.ts';

/** faceptor.json is a few kB; anything this big is not a manifest (and is not read whole). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * Reads one package file: only a plain relative path (checked here too, not only by the loader), only a regular
 * file (a `weights.bin` symlinked to /dev/zero or a FIFO is refused, never read), and at most one byte more than the
 * manifest's size (the loader reports the size mismatch).
 */
async function read(dir: string, path: string, opts: { maxBytes?: number; expectedSize?: number }): Promise<Buffer> {
  return withPackageErrors(path, () => readRegularFile(packageFilePath(dir, path), opts));
}

function packageFilePath(dir: string, path: string): string {
  const problem = packagePathProblem(path);
  if (problem) throw new Error(`refused to read '${path}': not a plain path inside the package (${problem})`);
  return join(dir, ...path.split('/'));
}

/** A missing file becomes PackageFileMissing (the loader's "incomplete package"); other refusals name the file. */
async function withPackageErrors<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof InputFileError && err.reason === 'missing') throw new PackageFileMissing(path, { cause: err });
    const sep = err instanceof InputFileError && err.reason !== 'unreadable' ? ' ' : ': ';
    throw new Error(`${path}${sep}${(err as Error).message}`, { cause: err });
  }
}

/** Sizes listed in the manifest, read leniently (the loader validates the manifest itself). */
function listedSizes(json: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const files = (json as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return out;
  for (const f of files as { path?: unknown; size?: unknown }[]) {
    if (typeof f?.path === 'string' && typeof f.size === 'number' && Number.isSafeInteger(f.size) && f.size >= 0)
      out.set(f.path, f.size);
  }
  return out;
}

export function folderPackageSource(dir: string): ModelPackageSource {
  const root = resolve(dir);
  let sizes = new Map<string, number>();
  return {
    description: `model package ${dir}`,
    async readJson(path) {
      const text = (await read(root, path, { maxBytes: MAX_MANIFEST_BYTES })).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text) as unknown;
      } catch (err) {
        throw new Error(`${path} is not valid JSON (${(err as Error).message})`, { cause: err });
      }
      if (path === MANIFEST_FILE) sizes = listedSizes(json);
      return json;
    },
    async readBytes(path, onProgress) {
      const bytes = await read(root, path, { expectedSize: sizes.get(path) });
      onProgress?.(bytes.byteLength, bytes.byteLength);
      // a plain Uint8Array view (no copy): ORT and crypto.subtle accept it like browser bytes
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    localPath: (path) => packageFilePath(root, path),
    async hashFile(path) {
      // Regular files only, and never past the manifest's size + 1 byte: weights.bin → /dev/zero must not hash forever.
      const { handle: f, size: statSize } = await withPackageErrors(path, () =>
        openRegularFile(packageFilePath(root, path)),
      );
      const expected = sizes.get(path);
      const limit = expected === undefined ? statSize : Math.min(statSize, expected + 1);
      try {
        const h = createHash('sha256');
        // One reused 4 MiB buffer: no stream of garbage chunks for the GC (the weights are ~400 MiB).
        const buf = new Uint8Array(1 << 22);
        let size = 0;
        while (size < limit) {
          const { bytesRead } = await f.read(buf, 0, Math.min(buf.length, limit - size), size);
          if (bytesRead === 0) break;
          h.update(buf.subarray(0, bytesRead));
          size += bytesRead;
        }
        return { size, sha256: h.digest('hex') };
      } finally {
        await f.close();
      }
    },
    async readRange(path, offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
        throw new Error(`${path}: invalid range (${offset}, ${length})`);
      }
      const { handle: f, size } = await withPackageErrors(path, () => openRegularFile(packageFilePath(root, path)));
      try {
        if (offset + length > size)
          throw new Error(`${path}: ${length} bytes at ${offset} lie beyond its ${size} bytes`);
        const out = new Uint8Array(length);
        const { bytesRead } = await f.read(out, 0, length, offset);
        if (bytesRead !== length) throw new Error(`${path}: ${length} bytes at ${offset} asked, ${bytesRead} read`);
        return out;
      } finally {
        await f.close();
      }
    },
  };
}

/** Loads and verifies the package in `dir`. */
export function loadFaceptorFolder(
  dir: string,
  backend: InferenceBackend,
  opts?: LoadPackageOptions,
): Promise<FaceptorModel> {
  return loadFaceptorPackage(folderPackageSource(dir), backend, opts);
}
