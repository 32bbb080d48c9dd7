/** The Node package sink: files in a folder, written with writeSync and hashed by Node's native sha256. */
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hashingFile, type Hasher, type PackageSink, type SinkFile } from './sink.ts';

/** Node's native sha256 as a sink hasher (hex digest). */
export function nodeSha256(): Hasher {
  const h = createHash('sha256');
  return { update: (d) => h.update(d), digest: () => h.digest('hex') };
}

export function nodeFile(path: string): SinkFile {
  const fd = openSync(path, 'w');
  return hashingFile(
    (bytes) => {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    },
    () => closeSync(fd),
    nodeSha256(),
  );
}

export function nodeDirSink(dir: string): PackageSink {
  return { create: async (path) => nodeFile(join(dir, path)) };
}
