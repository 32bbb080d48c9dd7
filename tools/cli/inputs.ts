/**
 * The analyze CLI's inputs: files, folders (walked recursively) and glob patterns, expanded into one deterministic
 * list, and `--shard i/n` cutting that list across machines.
 *
 * Why each file carries a `key` (its path relative to the argument that named it): the shard of a file is a hash of
 * that key alone, so it does not depend on the other files (adding photos never moves one already assigned), nor on
 * where a machine mounts the collection (`/data/photos` on one node, `./photos` on a laptop give the same keys).
 */
import { createHash } from 'node:crypto';
import { opendir, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/** What a folder walk picks up (case-insensitive). A glob or a file named outright is taken as given. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export interface InputFile {
  /** The path the output names (`file`): the argument, or the argument joined with the path found under it. */
  readonly path: string;
  /** Shard key: the path relative to the folder or glob base that found it (POSIX separators); a file's own argument. */
  readonly key: string;
}

export class InputError extends Error {
  override readonly name = 'InputError';
}

const toPosix = (p: string) => p.split(sep).join('/');
const isImageName = (name: string) => IMAGE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

/**
 * Every image under `dir`, depth first, entries sorted by code point at each level (not locale: the same order on
 * every machine). Hidden entries (`.name`) are skipped; symlinked folders are not followed (a link cycle cannot
 * loop), symlinked files are listed (reading them later refuses devices and FIFOs, tools/node-host/regular-file.ts).
 */
async function walk(dir: string, found: string[]): Promise<void> {
  const entries: { name: string; isDir: boolean; isCandidate: boolean }[] = [];
  for await (const e of await opendir(dir)) {
    if (e.name.startsWith('.')) continue;
    entries.push({
      name: e.name,
      isDir: e.isDirectory(),
      isCandidate: (e.isFile() || e.isSymbolicLink()) && isImageName(e.name),
    });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDir) await walk(path, found);
    else if (e.isCandidate) found.push(path);
  }
}

/**
 * Expands the arguments in order: an existing folder → its images (recursively); an existing path → itself; a
 * pattern with glob syntax (`photos/**\/*.jpg`, `{a,b}/*.png`) → its matching files, sorted; anything else is kept
 * as a file name (analysing it reports why it cannot be read, as before). A file found again by a folder walk or a
 * glob is listed once, where it first appears; a file named outright is analysed each time it is named (as before
 * folders existed: the arguments are the user's list). A glob matching nothing is an error: a typo must not silently
 * analyse nothing.
 */
export async function expandInputs(args: readonly string[]): Promise<InputFile[]> {
  const out: InputFile[] = [];
  const seen = new Set<string>();
  const add = (path: string, key: string, named = false) => {
    const abs = resolve(path);
    if (seen.has(abs) && !named) return;
    seen.add(abs);
    out.push({ path, key: toPosix(key) });
  };
  for (const arg of args) {
    const st = await stat(arg).catch(() => undefined);
    if (st?.isDirectory()) {
      const found: string[] = [];
      await walk(arg, found);
      for (const path of found) add(path, relative(arg, path));
    } else if (!st && isDynamicPattern(arg)) {
      const base = globBase(arg);
      // a relative pattern gives paths relative to the working folder, an absolute one absolute paths: `file` in the
      // output reads like the argument
      const matches = await glob(arg, {
        onlyFiles: true,
        dot: false,
        followSymbolicLinks: false,
        expandDirectories: false,
        absolute: isAbsolute(arg),
      });
      if (matches.length === 0) throw new InputError(`no file matches '${arg}'`);
      matches.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const m of matches) add(m, relative(base, m));
    } else {
      add(arg, normalize(arg), true);
    }
  }
  return out;
}

/** The leading folders of a pattern that hold no glob syntax (`photos/2024` for `photos/2024/**\/*.jpg`). */
function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (isDynamicPattern(part)) break;
    fixed.push(part);
  }
  return fixed.join('/') || (pattern.startsWith('/') ? '/' : '.');
}

export interface Shard {
  /** 0-based, as Kubernetes' JOB_COMPLETION_INDEX. */
  readonly index: number;
  readonly count: number;
}

/** `i/n` with 0 ≤ i < n (integers). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN,
    count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new InputError(`--shard must be i/n with 0 ≤ i < n, e.g. 0/4 (got '${text}')`);
  }
  return { index, count };
}

/**
 * The shard (0 … count-1) a key belongs to: the first 4 bytes of SHA-256(UTF-8 key), big-endian, modulo count.
 * Written out so another tool (a Python script, a shell loop) can compute the same split.
 */
export function shardOfKey(key: string, count: number): number {
  return createHash('sha256').update(key, 'utf8').digest().readUInt32BE(0) % count;
}

export function selectShard(files: readonly InputFile[], shard: Shard | undefined): InputFile[] {
  return shard ? files.filter((f) => shardOfKey(f.key, shard.count) === shard.index) : [...files];
}
