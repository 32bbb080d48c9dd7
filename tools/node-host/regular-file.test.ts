/** readRegularFile: devices, FIFOs, folders and oversize files are refused without being read (issue 9, item 4). */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError, readRegularFile } from './regular-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'faceptor-regular-'));

describe('readRegularFile', () => {
  it('reads a regular file whole, or at most expectedSize + 1 bytes of it', async () => {
    const file = join(dir, 'ten.bin');
    writeFileSync(file, Buffer.from('0123456789'));
    expect((await readRegularFile(file)).toString()).toBe('0123456789');
    expect((await readRegularFile(file, { expectedSize: 4 })).toString()).toBe('01234');
    expect((await readRegularFile(file, { expectedSize: 20 })).toString()).toBe('0123456789');
  });
  it('refuses /dev/zero, directly or through a symlink, at once', async () => {
    const link = join(dir, 'zero.png');
    symlinkSync('/dev/zero', link);
    for (const p of ['/dev/zero', link]) {
      const err = await readRegularFile(p).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputFileError);
      expect((err as InputFileError).reason).toBe('not-regular');
      expect((err as Error).message).toBe('is a device, not a regular file: refused');
    }
  });
  it('refuses a FIFO without waiting for a writer, and a folder', async () => {
    const fifo = join(dir, 'pipe.jpg');
    execFileSync('mkfifo', [fifo]);
    await expect(readRegularFile(fifo)).rejects.toThrow('is a FIFO (named pipe), not a regular file: refused');
    await expect(readRegularFile(dir)).rejects.toThrow(/not a regular file/);
  });
  it('refuses a file above maxBytes before reading it; a missing file says so', async () => {
    const file = join(dir, 'big.bin');
    writeFileSync(file, Buffer.alloc(1000));
    await expect(readRegularFile(file, { maxBytes: 999 })).rejects.toThrow(
      'is 1000 bytes, more than the 999 bytes allowed here',
    );
    const err = await readRegularFile(join(dir, 'nope')).catch((e: unknown) => e);
    expect((err as InputFileError).reason).toBe('missing');
  });
});
