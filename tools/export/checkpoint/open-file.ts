/**
 * Node's way in: `openCheckpoint(path)` checks the path is a regular file and reads it through a FileHandle. The
 * reader itself (checkpoint.ts, zip.ts) is free of Node imports and also runs in the browser on a Blob.
 */
import { open, stat } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { openCheckpointFrom, type Checkpoint, type OpenOptions } from './checkpoint.ts';
import { CheckpointError } from './errors.ts';
import { useNativeCrc32 } from './zip.ts';

// zlib's CRC-32 (Node ≥ 20.15) is native and much faster than the portable loop.
useNativeCrc32((zlib as { crc32?: (d: Uint8Array) => number }).crc32);

export async function openCheckpoint(path: string, options: OpenOptions = {}): Promise<Checkpoint> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new CheckpointError('not_found', path, 'not a regular file');
    size = s.size;
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError('not_found', path, `cannot open checkpoint: ${(e as Error).message}`);
  }
  return openCheckpointFrom(await open(path, 'r'), path, size, options);
}
