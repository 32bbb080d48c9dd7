/** Why a model package was refused. Hosts show `message`; code lets them react (e.g. keep the previous model). */
export type PackageErrorCode =
  /** faceptor.json is missing or is not JSON. */
  | 'manifest-unreadable'
  /** JSON, but not a Faceptor model manifest (foreign file). */
  | 'foreign-manifest'
  /** Written by a newer exporter than this reader understands. */
  | 'newer-format'
  /** Written by an older exporter whose layout this reader no longer loads: re-export it. */
  | 'old-format'
  /** A Faceptor manifest with missing or ill-typed fields. */
  | 'invalid-manifest'
  /** A file listed in the manifest is absent. */
  | 'missing-file'
  /** A file has another size than the manifest says (incomplete download or copy). */
  | 'size-mismatch'
  /** A file's sha256 differs from the manifest (corrupt or altered). */
  | 'hash-mismatch'
  /** A file path in the manifest tries to leave the package (absolute, `..`). */
  | 'unsafe-path'
  /** An ONNX graph could not be opened by the runtime. */
  | 'graph-load-failed';

export class ModelPackageError extends Error {
  override readonly name = 'ModelPackageError';
  constructor(
    readonly code: PackageErrorCode,
    /** Package-relative file concerned, when there is one. */
    readonly file: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown by a ModelPackageSource when a file does not exist (vs. other read failures). */
export class PackageFileMissing extends Error {
  override readonly name = 'PackageFileMissing';
  constructor(readonly path: string, options?: { cause?: unknown }) {
    super(`${path} is missing`, options);
  }
}
