/**
 * Where a package may be written, and what the exporter may delete. The rule: the exporter deletes only what it
 * wrote itself — an earlier package of its own (recognised by its manifest, and then only the files that manifest
 * lists), or its own temporary folders (recognised by a marker file it puts in each one). A user's folder, a
 * regular file, the checkpoint's folder, the working or project folder and `public/models` itself are refused
 * before any work starts.
 */
import { readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, realpath, rename, rmdir, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, parse, relative, resolve, sep } from 'node:path';
import { MANIFEST_FILE, parseManifest, type FaceptorManifest } from '../../../src/core/faceptor/manifest.ts';

export class OutDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutDirError';
  }
}

/** Written into every temporary folder at creation: proof that the exporter made it (see {@link cleanStalePartials}). */
export const PARTIAL_MARKER = '.faceptor-export-partial';
/** `.<name>.partial-<pid>-<ms>` (the build folder) and `….old` (a replaced package moved aside during the swap). */
const PARTIAL_NAME = /^\.(.+)\.partial-(\d+)-(\d+)(\.old)?$/;
/** Files an unfinished package may hold: the only names removed from a temporary folder. */
const PACKAGE_FILE = /^(?:[A-Za-z0-9_]+\.onnx|weights\.bin|faceptor\.json)$/;

/** The repository root (three levels above this file): never a package folder. */
const PROJECT_ROOT = resolve(import.meta.dirname, '../../..');

export interface ExistingPackage {
  readonly dir: string;
  readonly manifest: FaceptorManifest;
}

const isInside = (child: string, parent: string): boolean => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !r.startsWith(sep) && r !== '..');
};

async function realOrSelf(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return p;
  }
}

/**
 * Reads `dir` as a package the exporter wrote: a `faceptor.json` that parses, names this exporter, and lists every
 * other file in the folder (all plain files). Returns null when `dir` is anything else.
 */
export async function readExporterPackage(dir: string, exporter: string): Promise<ExistingPackage | null> {
  const { pkg } = await inspectFolder(dir, exporter);
  return pkg;
}

/** The package in `dir`, or null with the entries that make it something else (all of them without a manifest of ours). */
async function inspectFolder(
  dir: string,
  exporter: string,
): Promise<{ pkg: ExistingPackage | null; foreign: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  let manifest: FaceptorManifest | null = null;
  try {
    manifest = parseManifest(JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')));
    if (manifest.provenance.exporter !== exporter) manifest = null;
  } catch {
    /* not a package of ours */
  }
  if (!manifest) return { pkg: null, foreign: entries.map((e) => e.name) };
  const listed = new Set([MANIFEST_FILE, ...manifest.files.map((f) => f.path)]);
  const foreign = entries.filter((e) => !e.isFile() || !listed.has(e.name)).map((e) => e.name);
  return { pkg: foreign.length === 0 ? { dir, manifest } : null, foreign };
}

export interface OutDirCheck {
  readonly out: string;
  /** The exporter package now at `out` (replaced at the end of the export), or null when `out` is new or empty. */
  readonly existing: ExistingPackage | null;
}

/**
 * Decides, before any work, whether `rawOut` may receive the package. Throws {@link OutDirError} naming the reason.
 * An existing exporter package is replaced only with `replace`; any other existing thing is never touched.
 */
export async function checkOutDir(
  rawOut: string,
  checkpointPath: string,
  opts: { replace: boolean; exporter: string },
): Promise<OutDirCheck> {
  if (rawOut.trim() === '')
    throw new OutDirError('the output folder is an empty string; give a new folder, e.g. public/models/<name>');
  const out = resolve(rawOut);
  const realOut = await realOrSelf(out);
  const ckpt = await realOrSelf(resolve(checkpointPath));
  const refuse = (why: string): never => {
    throw new OutDirError(
      `refusing to write the package to ${out}: ${why}; give a new folder, e.g. public/models/<name>`,
    );
  };
  for (const p of new Set([out, realOut])) {
    if (p === parse(p).root) refuse('it is the filesystem root');
    if (p === homedir()) refuse('it is your home folder');
    if (p === process.cwd()) refuse('it is the current folder');
    if (p === PROJECT_ROOT) refuse('it is the project folder');
    if (isInside(ckpt, p))
      refuse(p === ckpt ? 'it is the checkpoint itself' : 'it holds the checkpoint being exported');
    if (basename(p) === 'models' && basename(dirname(p)) === 'public')
      refuse('it is the models folder itself (packages go in a folder inside it)');
  }
  let st;
  try {
    st = await lstat(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { out, existing: null };
    throw new OutDirError(`cannot inspect the output folder ${out}: ${(e as Error).message}`);
  }
  if (st.isSymbolicLink()) refuse('it is a symbolic link');
  if (!st.isDirectory()) refuse('it is a file, not a folder');
  const entries = await readdir(out);
  if (entries.length === 0) return { out, existing: null };
  if (entries.includes('index.json') && !entries.includes(MANIFEST_FILE))
    refuse('it is a models folder (it has an index.json)');
  const { pkg: existing, foreign } = await inspectFolder(out, opts.exporter);
  if (!existing) {
    const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, … (${foreign.length} entries)` : '');
    refuse(`it is an existing folder that the exporter did not write (it holds ${shown}); nothing was deleted`);
  }
  if (!opts.replace) {
    throw new OutDirError(
      `${out} already holds a package ("${existing!.manifest.label}"); pass --replace to overwrite it, or choose another --out`,
    );
  }
  return { out, existing };
}

/**
 * Deletes only the manifest and the files it lists, then the (then empty) folder; anything else stays. Names come
 * from the folder listing, never from the manifest: a listed `../x` cannot reach outside the folder.
 */
export async function removeExporterPackage(pkg: ExistingPackage): Promise<void> {
  const listed = new Set([...pkg.manifest.files.map((x) => x.path), MANIFEST_FILE]);
  for (const entry of await readdir(pkg.dir, { withFileTypes: true })) {
    if (entry.isFile() && listed.has(entry.name)) await unlink(join(pkg.dir, entry.name)).catch(() => undefined);
  }
  await rmdir(pkg.dir);
}

/** Creates a temporary folder beside `out` with the exporter's marker in it. */
export async function makePartial(parent: string, name: string): Promise<string> {
  const tmp = join(parent, `.${name}.partial-${process.pid}-${Date.now()}`);
  await mkdir(tmp);
  await writeFile(join(tmp, PARTIAL_MARKER), JSON.stringify({ pid: process.pid }) + '\n');
  return tmp;
}

/** Synchronous (it runs in signal handlers): removes the package files, the marker and the folder; nothing else. */
export function removePartialSync(dir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return true;
  }
  for (const n of names) {
    if (n === PARTIAL_MARKER || PACKAGE_FILE.test(n)) {
      try {
        unlinkSync(join(dir, n));
      } catch {
        /* gone already */
      }
    }
  }
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary folders that earlier, interrupted exports left in `parent` (a killed process cannot clean
 * up). Only folders named like ours, whose process is gone, and that carry the marker (a build folder) or are an
 * exporter package (a replaced package moved aside — put back when its place is empty, as the swap was cut short).
 * Returns the names removed or restored.
 */
export async function cleanStalePartials(parent: string, exporter: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const done: string[] = [];
  for (const n of names) {
    const m = PARTIAL_NAME.exec(n);
    if (!m || m[1] === '.' || m[1] === '..' || alive(Number(m[2]))) continue;
    const dir = join(parent, n);
    try {
      if (!(await lstat(dir)).isDirectory()) continue;
    } catch {
      continue;
    }
    if (m[4]) {
      const pkg = await readExporterPackage(dir, exporter);
      if (!pkg) continue;
      const home = join(parent, m[1]!);
      const homeFree = await lstat(home).then(
        () => false,
        () => true,
      );
      if (homeFree) await rename(dir, home);
      else await removeExporterPackage(pkg);
      done.push(n);
    } else {
      const marker = await readFile(join(dir, PARTIAL_MARKER), 'utf8').catch(() => null);
      if (marker === null) continue;
      if (removePartialSync(dir)) done.push(n);
    }
  }
  return done;
}

const activePartials = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function onSignal(signal: NodeJS.Signals): void {
  for (const d of activePartials) removePartialSync(d);
  activePartials.clear();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  // With no other handler left, die by the same signal (exit status 128+n, as the shell expects).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/** Removes `dir` if the process is interrupted (SIGINT/SIGTERM/SIGHUP) before the returned release is called. */
export function trackPartial(dir: string): () => void {
  if (activePartials.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  activePartials.add(dir);
  return () => {
    activePartials.delete(dir);
    if (activePartials.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
}

/** Folder name for a package: from the label when given, else `<variant>-<precision>`; lower-case, `[a-z0-9-]`. */
export function packageName(variant: string, precision: string, label?: string): string {
  const slug = (s: string) =>
    s
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '');
  return (label !== undefined && slug(label)) || slug(`${variant}-${precision}`);
}

/** `base`, else `base-2`, `base-3`, …: the first name free in `parent` (never an existing folder). */
export async function uniqueName(parent: string, base: string): Promise<string> {
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    const taken = await lstat(join(parent, name)).then(
      () => true,
      () => false,
    );
    if (!taken) return name;
  }
}
