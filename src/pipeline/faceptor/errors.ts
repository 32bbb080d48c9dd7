import type { PackageErrorCode } from '../../core/errors.ts';

/** Why a model package was refused: the codes are declared with every other error code in src/core/errors.ts. */
export type { PackageErrorCode };

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
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${path} is missing`, options);
  }
}
