/** ModelPackageSource over a folder on disk (the exporter's output), for the CLI, benchmarks and Node tests. */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PackageFileMissing } from '../../src/pipeline/faceptor/errors.ts';
import type { ModelPackageSource } from '../../src/pipeline/faceptor/source.ts';
import { loadFaceptorPackage, type LoadPackageOptions } from '../../src/pipeline/faceptor/package.ts';
import type { FaceptorModel } from '../../src/pipeline/faceptor/model.ts';
import type { InferenceBackend } from '../../src/pipeline/backend.ts';

async function read(dir: string, path: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, ...path.split('/')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PackageFileMissing(path, { cause: err });
    throw err;
  }
}

export function folderPackageSource(dir: string): ModelPackageSource {
  const root = resolve(dir);
  return {
    description: `model package ${dir}`,
    async readJson(path) {
      const text = (await read(root, path)).toString('utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new Error(`${path} is not valid JSON (${(err as Error).message})`, { cause: err });
      }
    },
    async readBytes(path, onProgress) {
      const bytes = await read(root, path);
      onProgress?.(bytes.byteLength, bytes.byteLength);
      // a plain Uint8Array view (no copy): ORT and crypto.subtle accept it like browser bytes
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    localPath: (path) => join(root, ...path.split('/')),
    async hashFile(path) {
      // One reused 4 MiB buffer: no stream of garbage chunks for the GC (the weights are ~400 MiB).
      let f;
      try {
        f = await open(join(root, ...path.split('/')), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PackageFileMissing(path, { cause: err });
        throw err;
      }
      try {
        const h = createHash('sha256');
        const buf = new Uint8Array(1 << 22);
        let size = 0;
        for (;;) {
          const { bytesRead } = await f.read(buf, 0, buf.length, size);
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
      const f = await open(join(root, ...path.split('/')), 'r');
      try {
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
export function loadFaceptorFolder(dir: string, backend: InferenceBackend, opts?: LoadPackageOptions): Promise<FaceptorModel> {
  return loadFaceptorPackage(folderPackageSource(dir), backend, opts);
}
