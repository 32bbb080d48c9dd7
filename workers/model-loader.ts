/**
 * Loading a Faceptor package in the worker: the pipeline's loader (manifest checks, size + sha256 of every file)
 * over a browser source, with progress that says whether bytes come from the cache, hashing skipped for files the
 * cache already verified, and one retry from the network when a cached copy turns out corrupt.
 */
import type { InferenceBackend } from '../src/pipeline/backend.ts';
import { ModelPackageError } from '../src/pipeline/faceptor/errors.ts';
import type { FaceptorModel } from '../src/pipeline/faceptor/model.ts';
import { loadFaceptorPackage, type LoadPackageOptions } from '../src/pipeline/faceptor/package.ts';
import type { BrowserPackageSource } from './model-package-source.ts';
import type { ModelLoadProgress } from './perception-api.ts';

export async function loadModelPackage(
  source: BrowserPackageSource,
  backend: InferenceBackend,
  onProgress?: (progress: ModelLoadProgress) => void,
): Promise<FaceptorModel> {
  const options: LoadPackageOptions = {
    onProgress:
      onProgress &&
      ((loaded, total, file, phase) => onProgress({ loaded, total, file, phase, fromCache: source.fromCache(file) })),
    alreadyVerified: (f) => source.alreadyVerified(f),
    onVerified: (f) => source.onVerified(f),
  };
  let model: FaceptorModel;
  try {
    model = await loadFaceptorPackage(source, backend, options);
  } catch (err) {
    const badBytes = err instanceof ModelPackageError && (err.code === 'hash-mismatch' || err.code === 'size-mismatch');
    // Corrupt bytes that came from the cache: drop them and load again, this time from the network.
    if (!badBytes || !err.file || !(await source.evict(err.file))) throw err;
    model = await loadFaceptorPackage(source, backend, options);
  }
  await source.commit();
  return model;
}
