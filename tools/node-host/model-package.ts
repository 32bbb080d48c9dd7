/** ModelPackageSource over a folder on disk (the exporter's output), for the CLI, benchmarks and Node tests. */
import { join, resolve } from 'node:path';
import { MANIFEST_FILE, packagePathProblem } from '../../src/core/faceptor/manifest.ts';
import { PackageFileMissing } from '../../src/pipeline/faceptor/errors.ts';
import type { ModelPackageSource } from '../../src/pipeline/faceptor/source.ts';
import { loadFaceptorPackage, type LoadPackageOptions } from '../../src/pipeline/faceptor/package.ts';
import type { FaceptorModel } from '../../src/pipeline/faceptor/model.ts';
import type { InferenceBackend } from '../../src/pipeline/backend.ts';
import { InputFileError, readRegularFile } from './regular-file.ts';

/** faceptor.json is a few kB; anything this big is not a manifest (and is not read whole). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * Reads one package file: only a plain relative path (checked here too, not only by the loader), only a regular
 * file (a `weights.bin` symlinked to /dev/zero or a FIFO is refused, never read), and at most one byte more than the
 * manifest's size (the loader reports the size mismatch).
 */
async function read(dir: string, path: string, opts: { maxBytes?: number; expectedSize?: number }): Promise<Buffer> {
  const problem = packagePathProblem(path);
  if (problem) throw new Error(`refused to read '${path}': not a plain path inside the package (${problem})`);
  try {
    return await readRegularFile(join(dir, ...path.split('/')), opts);
  } catch (err) {
    if (err instanceof InputFileError && err.code === 'missing') throw new PackageFileMissing(path, { cause: err });
    const sep = err instanceof InputFileError && err.code !== 'unreadable' ? ' ' : ': ';
    throw new Error(`${path}${sep}${(err as Error).message}`, { cause: err });
  }
}

/** Sizes listed in the manifest, read leniently (the loader validates the manifest itself). */
function listedSizes(json: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const files = (json as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return out;
  for (const f of files as { path?: unknown; size?: unknown }[]) {
    if (typeof f?.path === 'string' && typeof f.size === 'number' && Number.isSafeInteger(f.size) && f.size >= 0) out.set(f.path, f.size);
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
  };
}

/** Loads and verifies the package in `dir`. */
export function loadFaceptorFolder(dir: string, backend: InferenceBackend, opts?: LoadPackageOptions): Promise<FaceptorModel> {
  return loadFaceptorPackage(folderPackageSource(dir), backend, opts);
}
