/**
 * A package exported in this browser (browser-export/opfs-store.ts) as one more ModelPackageSource: the loader
 * reads it like any other package (manifest checks, size and sha256 of every file), from the origin-private file
 * system — no network, so it loads offline.
 */
import { packagePathProblem } from '../src/core/faceptor/manifest.ts';
import { PackageFileMissing } from '../src/pipeline/faceptor/errors.ts';
import type { BrowserPackageSource } from './model-package-source.ts';
import { opfsRoot, storedPackageDir, type DirHandleLike } from './browser-export/opfs-store.ts';

export function storedPackageSource(id: string, root?: () => Promise<DirHandleLike | null>): BrowserPackageSource {
  let dir: Promise<DirHandleLike> | null = null;
  const folder = () => (dir ??= (root ?? opfsRoot)().then((r) => storedPackageDir(r, id)));
  const file = async (path: string): Promise<File> => {
    // Stored packages are flat folders; a manifest naming anything else is refused by the loader too.
    if (packagePathProblem(path) || path.includes('/')) throw new PackageFileMissing(path);
    try {
      return await (await (await folder()).getFileHandle(path)).getFile();
    } catch (e) {
      if ((e as Error).name === 'NotFoundError' || (e as Error).name === 'TypeError')
        throw new PackageFileMissing(path);
      throw e;
    }
  };
  return {
    description: `stored model ${id}`,
    async readJson(path) {
      const text = await (await file(path)).text();
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new Error(`${path} is not valid JSON (${(err as Error).message})`, { cause: err });
      }
    },
    async readBytes(path, onProgress) {
      const f = await file(path);
      onProgress?.(0, f.size);
      const bytes = new Uint8Array(await f.arrayBuffer());
      onProgress?.(bytes.byteLength, f.size);
      return bytes;
    },
    fromCache: () => true,
    alreadyVerified: () => false,
    onVerified: () => undefined,
    evict: async () => false,
    commit: async () => undefined,
  };
}
