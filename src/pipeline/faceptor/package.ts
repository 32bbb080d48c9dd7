/**
 * Loading a model package (faceptor.json + ONNX graphs + one weights file) from any ModelPackageSource:
 * the manifest is checked (foreign / newer / invalid), every listed file is read ONCE and checked for size and
 * sha256 (crypto.subtle, available in Node ≥ 20 and browsers), and only then is a FaceptorModel returned. Nothing
 * is handed to the runtime before the whole package checks out, so a refused package leaves the host's previous
 * model untouched. ORT sessions are created lazily per graph by the model (see model.ts).
 */
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MANIFEST_MIN_VERSION,
  MANIFEST_VERSION,
  ManifestError,
  packagePathProblem,
  parseManifest,
  type FaceptorManifest,
  type PackageFile,
} from '../../core/faceptor/manifest.ts';
import type { InferenceBackend } from '../backend.ts';
import { ModelPackageError, PackageFileMissing } from './errors.ts';
import { FaceptorModel } from './model.ts';
import { HeldWeights } from './held-weights.ts';
import type { ModelPackageSource } from './source.ts';

export interface LoadPackageOptions {
  /**
   * Progress over all bytes of the package: (loaded, total, file, phase). 'verifying' is reported once per file
   * before its sha256 is computed — on a 400 MB weights file that takes many seconds with the bar at its end.
   */
  readonly onProgress?: (loaded: number, total: number, file: string, phase: 'reading' | 'verifying') => void;
  /**
   * Lets a caching host hash a large file once: return true when these exact bytes (same path, size and sha256
   * as listed) were verified before, e.g. when they were stored in the Cache API. Sizes are always checked.
   */
  readonly alreadyVerified?: (file: PackageFile) => boolean | Promise<boolean>;
  /** Called after a file's hash was checked here, so the host can remember it (see alreadyVerified). */
  readonly onVerified?: (file: PackageFile) => void;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Manifest paths come from an untrusted file: plain relative names only, never leaving the package (see manifest.ts). */
function checkPath(path: string): void {
  const problem = packagePathProblem(path);
  if (problem)
    throw new ModelPackageError(
      'unsafe-path',
      path,
      `model package lists the file '${path}', which is not a plain path inside the package (${problem})`,
    );
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Reads and validates faceptor.json, naming the problem precisely. */
export async function readManifest(source: ModelPackageSource): Promise<FaceptorManifest> {
  let json: unknown;
  try {
    json = await source.readJson(MANIFEST_FILE);
  } catch (err) {
    const missing = err instanceof PackageFileMissing;
    throw new ModelPackageError(
      missing ? 'missing-file' : 'manifest-unreadable',
      MANIFEST_FILE,
      missing
        ? `${source.description} is not a model package: ${MANIFEST_FILE} is missing`
        : `cannot read ${MANIFEST_FILE} of ${source.description}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!isObj(json) || json.format !== MANIFEST_FORMAT) {
    throw new ModelPackageError(
      'foreign-manifest',
      MANIFEST_FILE,
      `${source.description}: ${MANIFEST_FILE} is not a Faceptor model manifest (format must be '${MANIFEST_FORMAT}')`,
    );
  }
  if (typeof json.formatVersion === 'number' && json.formatVersion > MANIFEST_VERSION) {
    throw new ModelPackageError(
      'newer-format',
      MANIFEST_FILE,
      `${source.description}: model package format version ${json.formatVersion} is newer than this version understands (${MANIFEST_VERSION}); update Faceptor Web or re-export with a matching exporter`,
    );
  }
  if (typeof json.formatVersion === 'number' && json.formatVersion < MANIFEST_MIN_VERSION) {
    throw new ModelPackageError(
      'old-format',
      MANIFEST_FILE,
      `${source.description}: model package format version ${json.formatVersion} is older than this version loads (${MANIFEST_MIN_VERSION}: one shared encoder and batched head graphs); re-export it from its checkpoint with \`npm run export\``,
    );
  }
  try {
    const manifest = parseManifest(json);
    for (const f of manifest.files) checkPath(f.path);
    return manifest;
  } catch (err) {
    if (err instanceof ModelPackageError) throw err;
    if (err instanceof ManifestError)
      throw new ModelPackageError(
        'invalid-manifest',
        MANIFEST_FILE,
        `${source.description}: invalid ${MANIFEST_FILE}: ${err.message}`,
        { cause: err },
      );
    throw err;
  }
}

/**
 * Reads every file of the manifest once; returns their bytes by path after size and hash checks. `onDisk`: the
 * files stay on disk (the runtime opens them itself) and are verified by streaming them; nothing is returned.
 */
async function readVerifiedFiles(
  source: ModelPackageSource,
  manifest: FaceptorManifest,
  opts: LoadPackageOptions,
  onDisk: boolean,
): Promise<Map<string, Uint8Array>> {
  const total = manifest.files.reduce((s, f) => s + f.size, 0);
  let done = 0;
  const out = new Map<string, Uint8Array>();
  for (const f of manifest.files) {
    let bytes: Uint8Array | undefined;
    let size: number, hashed: string | undefined;
    try {
      if (onDisk) {
        opts.onProgress?.(done, total, f.path, 'verifying'); // on disk, reading is hashing
        ({ size, sha256: hashed } = await source.hashFile!(f.path));
      } else {
        size = (bytes = await source.readBytes(f.path, (loaded) =>
          opts.onProgress?.(done + Math.min(loaded, f.size), total, f.path, 'reading'),
        )).byteLength;
      }
    } catch (err) {
      if (err instanceof PackageFileMissing) {
        throw new ModelPackageError(
          'missing-file',
          f.path,
          `${source.description}: incomplete model package, ${f.path} is missing`,
          { cause: err },
        );
      }
      throw new ModelPackageError(
        'missing-file',
        f.path,
        `${source.description}: cannot read ${f.path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (size < f.size) {
      throw new ModelPackageError(
        'size-mismatch',
        f.path,
        `${source.description}: ${f.path} has ${size} bytes, the manifest says ${f.size} (incomplete download or copy)`,
      );
    }
    if (size > f.size) {
      // Sources stop reading one byte past the manifest's size, so this is a lower bound.
      throw new ModelPackageError(
        'size-mismatch',
        f.path,
        `${source.description}: ${f.path} is larger than the ${f.size} bytes the manifest says (altered or wrong file)`,
      );
    }
    if (!(await opts.alreadyVerified?.(f))) {
      if (hashed === undefined) opts.onProgress?.(done + f.size, total, f.path, 'verifying');
      const hash = hashed ?? (await sha256Hex(bytes!));
      if (hash !== f.sha256) {
        throw new ModelPackageError(
          'hash-mismatch',
          f.path,
          `${source.description}: ${f.path} is corrupt (sha256 ${hash.slice(0, 12)}… does not match the manifest's ${f.sha256.slice(0, 12)}…)`,
        );
      }
      opts.onVerified?.(f);
    }
    done += f.size;
    opts.onProgress?.(done, total, f.path, 'reading');
    if (bytes) out.set(f.path, bytes);
  }
  return out;
}

/**
 * Loads and verifies a package; resolves to a model whose graph sessions open on first use.
 * Rejects with ModelPackageError (see `code`) for foreign, newer, invalid, incomplete or corrupt packages.
 */
export async function loadFaceptorPackage(
  source: ModelPackageSource,
  backend: InferenceBackend,
  opts: LoadPackageOptions = {},
): Promise<FaceptorModel> {
  const manifest = await readManifest(source);
  // Local folder + a runtime that opens files (Node): verify by streaming, keep no bytes, let the runtime read the
  // graphs and weights.bin itself (held once, by the runtime). Files may change after verification only by someone
  // with write access to the package folder, as with any local file a program opens.
  const onDisk = !!(source.localPath && source.hashFile && source.readRange && backend.createSessionFromFile);
  const files = await readVerifiedFiles(source, manifest, opts, onDisk);
  if (!onDisk) {
    // The model drops weights.bin once the runtime holds every weight; reading it again goes through the same
    // size and sha256 checks (or the host's record of a verified copy, as on this load).
    const weightsFile = manifest.files.find((f) => f.path === manifest.weights)!;
    const reread = async () =>
      (
        await readVerifiedFiles(
          source,
          { ...manifest, files: [weightsFile] },
          { alreadyVerified: opts.alreadyVerified },
          false,
        )
      ).get(weightsFile.path)!;
    return new FaceptorModel(
      manifest,
      files,
      backend,
      source.description,
      undefined,
      new HeldWeights(files.get(manifest.weights)!, reread),
    );
  }
  // The host-fed constants (position tables, …) are the only weights.bin bytes the host itself needs.
  const feedBytes = new Map<number, Uint8Array>();
  for (const g of [...manifest.encoder.groups, ...manifest.heads.flatMap((h) => h.groups)]) {
    for (const f of g.feeds)
      if (f.offset !== undefined && !feedBytes.has(f.offset))
        feedBytes.set(f.offset, await source.readRange!(manifest.weights, f.offset, f.length!));
  }
  return new FaceptorModel(manifest, files, backend, source.description, {
    localPath: (p) => source.localPath!(p),
    feedBytes,
  });
}
