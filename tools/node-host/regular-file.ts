/**
 * Reading an input file without trusting it to be a file: `/dev/zero` (or a symlink to it) never ends, a FIFO blocks
 * `open` until a writer comes, and `readFile` on either grows memory without limit or hangs. Every Node host read of
 * a user-named file goes through here:
 *
 * - opened with O_NONBLOCK, so opening a FIFO returns at once (and is then refused), never hangs;
 * - `fstat` on the opened descriptor (not the path: no swap between check and read) must say "regular file";
 * - at most the size `fstat` states (or `expectedSize`, e.g. a manifest's, plus one byte to notice a longer file)
 *   is read, and never more than `maxBytes`.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { ErrorCode } from '../../src/core/errors.ts';

/** A user-named input that is not a regular file, too big, or unreadable; the message says which, without the path. */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
  /**
   * Callers wrap it in the error that says what the file was for (image-file, detector-model, missing-file…);
   * unwrapped, it is unexpected. What went wrong with the file is `reason`.
   */
  readonly code: ErrorCode = 'internal';
  constructor(
    readonly reason: 'missing' | 'not-regular' | 'too-big' | 'unreadable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReadRegularOptions {
  /** Refuse files larger than this (bytes). */
  readonly maxBytes?: number;
  /**
   * The size the caller expects (a manifest's). At most expectedSize + 1 bytes are read, so a longer file is noticed
   * (the caller reports the mismatch) without reading all of it.
   */
  readonly expectedSize?: number;
}

function kind(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens `path` for reading only if it is a regular file (see above); returns the open handle and its size. The caller
 * closes the handle.
 */
export async function openRegularFile(
  path: string,
  opts: Pick<ReadRegularOptions, 'maxBytes'> = {},
): Promise<{ handle: FileHandle; size: number }> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputFileError('missing', 'file not found', { cause: err });
    if (code === 'ENXIO' || code === 'EISDIR')
      throw new InputFileError('not-regular', 'is not a regular file', { cause: err });
    throw new InputFileError('unreadable', `cannot read the file (${(err as Error).message})`, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new InputFileError('not-regular', `is ${kind(st)}, not a regular file: refused`);
    if (opts.maxBytes !== undefined && st.size > opts.maxBytes) {
      throw new InputFileError('too-big', `is ${st.size} bytes, more than the ${opts.maxBytes} bytes allowed here`);
    }
    return { handle, size: st.size };
  } catch (err) {
    await handle.close();
    if (err instanceof InputFileError) throw err;
    throw new InputFileError('unreadable', `cannot read the file (${(err as Error).message})`, { cause: err });
  }
}

export async function readRegularFile(path: string, opts: ReadRegularOptions = {}): Promise<Buffer> {
  const { handle, size } = await openRegularFile(path, opts);
  try {
    const limit = opts.expectedSize !== undefined ? Math.min(size, opts.expectedSize + 1) : size;
    const buffer = Buffer.allocUnsafe(limit);
    let at = 0;
    while (at < limit) {
      const { bytesRead } = await handle.read(buffer, at, limit - at, at);
      if (bytesRead === 0) break; // shrank while reading: the caller sees fewer bytes
      at += bytesRead;
    }
    return at === limit ? buffer : buffer.subarray(0, at);
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError('unreadable', `cannot read the file (${(err as Error).message})`, { cause: err });
  } finally {
    await handle.close();
  }
}
