/**
 * Checkpoint file → model package folder (the CLI's exporter). The package itself is made by the Node-free core
 * (write-package.ts, shared with the browser's exporter) into a temporary folder beside `outDir`, which is renamed
 * into place at the very end, so a failure (or SIGINT/SIGTERM) never leaves a partial package behind. What may be
 * written or replaced: see out-dir.ts.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  MANIFEST_FILE,
  type FaceptorManifest,
  type ModelIndex,
  type ModelIndexEntry,
} from '../../../src/core/faceptor/manifest.ts';
import { openCheckpoint } from '../checkpoint/index.ts';
import { planExport, type ExportPlan } from '../plan/index.ts';
import { nodeDirSink } from './node-sink.ts';
import { EXPORTER, ExportError, checkPrecision, writePackage, type PackageOptions } from './write-package.ts';
import {
  OutDirError,
  PARTIAL_MARKER,
  checkOutDir,
  cleanStalePartials,
  makePartial,
  packageName,
  readExporterPackage,
  removeExporterPackage,
  removePartialSync,
  trackPartial,
  uniqueName,
  type ExistingPackage,
} from './out-dir.ts';

export { EXPORTER, EXPORTER_VERSION, ExportError, blocksForTask, buildPackageGraphs } from './write-package.ts';

export interface ExportOptions extends PackageOptions {
  /** Replace an existing package at `outDir` (only ever one this exporter wrote; anything else is refused). */
  readonly replace?: boolean;
}

export interface ExportResult {
  readonly outDir: string;
  readonly manifest: FaceptorManifest;
  readonly plan: ExportPlan;
  /** Node count per graph file. */
  readonly nodeCounts: Record<string, number>;
  /** Checkpoint tensors read by the graphs that hold NaN/±Inf, with how many such values each. */
  readonly nonFinite: { key: string; count: number }[];
}

/** Let the exporter name the folder inside `modelsDir` (from variant/precision/label; never an existing name). */
export interface AutoOutDir {
  readonly modelsDir: string;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Fails early, with a clear message, when the folder that will receive the package cannot be written. Removes the
 * temporary folders of earlier interrupted exports there first (only ones the exporter made: see out-dir.ts).
 */
async function makeTempBeside(outDir: string, onWarning?: (m: string) => void): Promise<string> {
  const parent = dirname(outDir);
  try {
    await mkdir(parent, { recursive: true });
  } catch (e) {
    throw new ExportError(`cannot create output folder ${parent}: ${(e as Error).message}`);
  }
  const stale = await cleanStalePartials(parent, EXPORTER).catch(() => []);
  if (stale.length > 0) onWarning?.(`cleaned up after an interrupted export: ${stale.join(', ')}`);
  let tmp: string;
  try {
    tmp = await makePartial(parent, basename(outDir));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ExportError(
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? `output folder ${parent} is not writable (${code})`
        : `cannot write into ${parent}: ${(e as Error).message}`,
    );
  }
  return tmp;
}

/**
 * Exports into `outDir`: a new (or empty) folder, or — with `replace` — a package this exporter wrote. With
 * {@link AutoOutDir} the folder is named from variant/precision/label and is never an existing one.
 */
export async function exportPackage(
  checkpointPath: string,
  outDir: string | AutoOutDir,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const precision = checkPrecision(options.precision ?? 'fp32');
  const guard = async (dir: string) => {
    try {
      return await checkOutDir(dir, checkpointPath, { replace: options.replace ?? false, exporter: EXPORTER });
    } catch (e) {
      throw e instanceof OutDirError ? new ExportError(e.message) : e;
    }
  };
  // Checked before any work, so a refused folder costs nothing (and is never touched).
  let target = typeof outDir === 'string' ? await guard(outDir) : undefined;
  const ckpt = await openCheckpoint(checkpointPath);
  let tmp: string | undefined;
  let release = (): void => undefined;
  try {
    const plan = planExport(ckpt.tensors, options);
    if (!target) {
      const modelsDir = resolve((outDir as AutoOutDir).modelsDir);
      target = await guard(
        join(modelsDir, await uniqueName(modelsDir, packageName(plan.variant, precision, options.label))),
      );
    }
    const out = target.out;
    tmp = await makeTempBeside(out, options.onWarning);
    release = trackPartial(tmp);
    const source = await stat(checkpointPath);
    const written = await writePackage(
      ckpt,
      plan,
      {
        sink: nodeDirSink(tmp),
        sourceName: basename(checkpointPath),
        sourceSize: source.size,
        sourceSha256: () => sha256File(checkpointPath),
        label: (fallback) => uniqueLabel(out, fallback, options.onWarning),
      },
      { ...options, precision },
    );
    const { manifest } = written;
    await unlink(join(tmp, PARTIAL_MARKER));
    await swapIntoPlace(tmp, out, target.existing);
    tmp = undefined;
    await updateModelIndex(out, manifest);
    return { outDir: out, manifest, plan, nodeCounts: written.nodeCounts, nonFinite: written.nonFinite };
  } finally {
    await ckpt.close();
    if (tmp) removePartialSync(tmp);
    release();
  }
}

/**
 * Moves the finished package into place. An old package is moved aside and then only its own files are deleted;
 * it is looked at again here because a long export leaves time for someone to put files into it.
 * Without one, `rename` itself refuses a folder that is not empty (ENOTEMPTY), so nothing is ever overwritten.
 */
async function swapIntoPlace(tmp: string, out: string, existing: ExistingPackage | null): Promise<void> {
  let old: ExistingPackage | null = null;
  if (existing) {
    const now = await readExporterPackage(out, EXPORTER);
    if (!now)
      throw new ExportError(
        `refusing to replace ${out}: it changed during the export and is no longer only an exporter package; nothing was deleted`,
      );
    const aside = `${tmp}.old`;
    try {
      await rename(out, aside);
    } catch (e) {
      throw new ExportError(`cannot replace ${out}: ${(e as Error).message}`);
    }
    old = { dir: aside, manifest: now.manifest };
  }
  try {
    await rename(tmp, out);
  } catch (e) {
    if (old) await rename(old.dir, out).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    throw new ExportError(
      code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR'
        ? `refusing to write the package to ${out}: something was put there during the export; nothing was deleted`
        : `cannot move the package into ${out}: ${(e as Error).message}`,
    );
  }
  if (old) await removeExporterPackage(old);
}

/** Two packages with one label look identical in the picker: a label already used in the index gets the folder name. */
async function uniqueLabel(out: string, label: string, onWarning?: (m: string) => void): Promise<string> {
  const modelsDir = dirname(out);
  if (basename(modelsDir) !== 'models' || basename(dirname(modelsDir)) !== 'public') return label;
  let packages: ModelIndexEntry[] = [];
  try {
    const index = JSON.parse(await readFile(join(modelsDir, 'index.json'), 'utf8')) as Partial<ModelIndex>;
    if (Array.isArray(index.packages)) packages = index.packages;
  } catch {
    return label;
  }
  const name = basename(out);
  if (!packages.some((p) => p && p.name !== name && p.label === label)) return label;
  const unique = `${label} [${name}]`;
  onWarning?.(`another package in ${modelsDir} is labelled "${label}"; this one is labelled "${unique}"`);
  return unique;
}

/**
 * Keeps `public/models/index.json` in step when the package lands in a `public/models/<name>` folder: the entry
 * for <name> is replaced (re-export) or added; entries whose folder no longer has a manifest are dropped.
 */
export async function updateModelIndex(out: string, manifest: FaceptorManifest): Promise<void> {
  const modelsDir = dirname(out);
  if (basename(modelsDir) !== 'models' || basename(dirname(modelsDir)) !== 'public') return;
  const indexPath = join(modelsDir, 'index.json');
  let packages: ModelIndexEntry[] = [];
  try {
    const old = JSON.parse(await readFile(indexPath, 'utf8')) as Partial<ModelIndex>;
    if (Array.isArray(old.packages)) packages = old.packages.filter((p) => p && typeof p.name === 'string');
  } catch {
    /* no index yet, or unreadable: rebuild it */
  }
  const name = basename(out);
  const entry: ModelIndexEntry = {
    name,
    label: manifest.label,
    variant: manifest.variant,
    precision: manifest.precision,
    untrained: manifest.provenance.untrained,
    manifest: `${name}/${MANIFEST_FILE}`,
    weightsBytes: manifest.files.find((f) => f.path === manifest.weights)?.size,
    sourceSha256: manifest.provenance.sourceSha256,
  };
  const kept: ModelIndexEntry[] = [];
  const seen = new Set([name]);
  for (const p of packages) {
    // One entry per folder (a hand-edited index may repeat one), and only plain folder names.
    if (seen.has(p.name) || p.name !== basename(p.name) || p.name.startsWith('.')) continue;
    seen.add(p.name);
    try {
      await stat(join(modelsDir, p.name, MANIFEST_FILE));
      kept.push(p);
    } catch {
      /* folder gone */
    }
  }
  const index: ModelIndex = {
    format: 'faceptor-web-model-index',
    packages: [...kept, entry].sort((a, b) => a.name.localeCompare(b.name)),
  };
  const tmp = `${indexPath}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(index, null, 2) + '\n');
  await rename(tmp, indexPath);
}
