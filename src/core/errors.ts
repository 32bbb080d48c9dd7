/**
 * One error convention for every host (CLI, library, worker, UI): an error the program means to report carries a
 * stable `code` from the closed list below, and the file or task it concerns. The message is for people and may be
 * reworded; code is what programs branch on. The worker's comlink bridge copies `code`, `file` and `task` across the
 * boundary (workers/error-transfer.ts), so the UI reads the code of an error thrown in the worker.
 */

/** Why a model package was refused (ModelPackageError). */
export const PACKAGE_ERROR_CODES = [
  /** faceptor.json is missing or is not JSON. */
  'manifest-unreadable',
  /** JSON, but not a Faceptor model manifest (foreign file). */
  'foreign-manifest',
  /** Written by a newer exporter than this reader understands. */
  'newer-format',
  /** Written by an older exporter whose layout this reader no longer loads: re-export it. */
  'old-format',
  /** A Faceptor manifest with missing or ill-typed fields. */
  'invalid-manifest',
  /** A file listed in the manifest is absent. */
  'missing-file',
  /** A file has another size than the manifest says (incomplete download or copy). */
  'size-mismatch',
  /** A file's sha256 differs from the manifest (corrupt or altered). */
  'hash-mismatch',
  /** A file path in the manifest tries to leave the package (absolute, `..`). */
  'unsafe-path',
  /** An ONNX graph could not be opened by the runtime. */
  'graph-load-failed',
] as const;
export type PackageErrorCode = (typeof PACKAGE_ERROR_CODES)[number];

export const ERROR_CODES = [
  ...PACKAGE_ERROR_CODES,
  /** A model address (`?model=`) that is not a URL. */
  'invalid-url',
  /** A BlazeFace detector file is missing, truncated or not an ONNX graph (restore with `npm run setup:models`). */
  'detector-model',
  /** An image that cannot be read or decoded, or is too large (the message names the file and the limit). */
  'image-file',
  /** Asked for a task (or type) the model does not have. */
  'task-selection',
  /** A task's output for a face could not be decoded (e.g. non-finite values): that result alone is left out. */
  'task-output',
  /** An identity gallery file that is not one, or not one this version reads. */
  'gallery-import',
  /** Anything else: a bug or an unexpected runtime failure (the message says what happened). */
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN = new Set<string>(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN.has(value);
}

/** What hosts and the UI keep of an error: the stable code, the words, and what it concerns. */
export interface ErrorInfo {
  readonly code: ErrorCode;
  readonly message: string;
  /** Package-relative or local file the error concerns. */
  readonly file?: string;
  /** Task name the error concerns. */
  readonly task?: string;
}

/**
 * The ErrorInfo of anything thrown: an error's own `code` when it is one of ours (also after the worker bridge,
 * where errors arrive as plain Errors with the fields copied), else 'internal'.
 */
export function errorInfo(err: unknown): ErrorInfo {
  const o =
    typeof err === 'object' && err !== null
      ? (err as { code?: unknown; message?: unknown; file?: unknown; task?: unknown })
      : null;
  const message = err instanceof Error ? err.message : o && typeof o.message === 'string' ? o.message : String(err);
  return {
    code: isErrorCode(o?.code) ? o.code : 'internal',
    message,
    ...(typeof o?.file === 'string' ? { file: o.file } : {}),
    ...(typeof o?.task === 'string' ? { task: o.task } : {}),
  };
}

/** An error with a code and nothing else to carry, for hosts that have no more specific class (e.g. the worker). */
export class CodedError extends Error {
  override readonly name = 'CodedError';
  readonly file?: string;
  readonly task?: string;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { file?: string; task?: string; cause?: unknown },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    if (options?.file !== undefined) this.file = options.file;
    if (options?.task !== undefined) this.task = options.task;
  }
}
