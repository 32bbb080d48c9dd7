/** Test helper: a copy of an exported package, edited (a damaged file, a changed manifest) to make refused packages. */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ManifestJson {
  format: string;
  formatVersion: number;
  label: string;
  weights: string;
  tasks: { name: string; graph: string }[];
  encoder: { file: string };
  heads: { name: string; file: string }[];
  files: { path: string; size: number; sha256: string }[];
  [key: string]: unknown;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Copies `dir` to a new temp folder, lets `edit` change files and the manifest object, writes the manifest back. */
export async function editedCopy(
  dir: string,
  edit: (copy: string, manifest: ManifestJson) => Promise<void> | void,
): Promise<string> {
  const copy = join(await mkdtemp(join(tmpdir(), 'faceptor-edited-')), 'package');
  await cp(dir, copy, { recursive: true });
  const manifest = JSON.parse(await readFile(join(copy, 'faceptor.json'), 'utf8')) as ManifestJson;
  await edit(copy, manifest);
  await writeFile(join(copy, 'faceptor.json'), JSON.stringify(manifest, null, 2));
  return copy;
}

/** Flips one byte in the middle of a file (same size, other hash). */
export async function flipByte(path: string): Promise<void> {
  const bytes = await readFile(path);
  bytes[bytes.byteLength >> 1] ^= 0xff;
  await writeFile(path, bytes);
}
