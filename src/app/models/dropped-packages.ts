/**
 * A dropped or picked folder that holds several model packages (e.g. `models/` with `full-fp32/`, `full-fp16/`,
 * `full-q8/`, each with its own faceptor.json) becomes one choice per package instead of one load that would pick
 * whichever manifest came first. Each package's files are handed on as a drop of that package's folder alone, so the
 * worker's files source (workers/model-package-source.ts) needs no new case. A drop with one package (or none) is
 * left to the existing path untouched.
 *
 * Only the manifests are read here, leniently, for the picker's text (label, variant, precision, download size);
 * the worker validates the chosen package fully when it loads.
 */
import { MANIFEST_FILE } from '../../core/faceptor/manifest.ts';
import type { PickedPackage } from './dropped-files.ts';

/** What the picker shows of a dropped package, read from its faceptor.json. */
export interface PackageSummary {
  readonly label: string;
  readonly variant: string;
  readonly precision: string;
  readonly untrained: boolean;
  /** Size of its weights file (the bulk of the download), when the manifest lists it. */
  readonly weightsBytes?: number;
}

export interface DroppedPackage {
  /** Folder of its faceptor.json inside the drop, with a trailing '/' ('models/full-fp16/'); '' for loose files. */
  readonly folder: string;
  /** This package's files alone, paths rewritten to `<folder name>/<path inside the package>`. */
  readonly picked: PickedPackage;
  /** Null when its manifest could not be read as one (loading it then gives the worker's exact refusal). */
  readonly summary: PackageSummary | null;
}

/**
 * A manifest is a few kB (tens at most with many tasks); anything far larger is not one and is not read into memory
 * just to label a choice.
 */
export const MAX_SUMMARY_MANIFEST_BYTES = 4 * 2 ** 20;

/** The folders of a drop that hold a faceptor.json ('' for one among loose files), in path order. */
export function manifestFolders(paths: readonly string[]): string[] {
  const folders = paths
    .filter((p) => p === MANIFEST_FILE || p.endsWith(`/${MANIFEST_FILE}`))
    .map((p) => p.slice(0, p.length - MANIFEST_FILE.length));
  return [...new Set(folders)].sort();
}

/**
 * One drop per package folder. Loose files ('' folder) keep only the files at the drop's top level: a folder beside
 * them is another package. Inside a folder every file below it goes along (a package may have sub-folders).
 */
export function splitByPackage(picked: PickedPackage): { folder: string; picked: PickedPackage }[] {
  return manifestFolders(picked.paths).map((folder) => {
    const name = folder ? folder.slice(0, -1).split('/').at(-1)! : picked.name;
    const files: File[] = [];
    const paths: string[] = [];
    picked.paths.forEach((p, i) => {
      const inside = folder ? p.startsWith(folder) : !p.includes('/');
      if (!inside) return;
      files.push(picked.files[i]!);
      // The worker drops the first path segment (the picked folder's name) and roots the package there.
      paths.push(folder ? `${name}/${p.slice(folder.length)}` : p);
    });
    return { folder, picked: { files, paths, name } };
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The picker's text from a manifest, or null when it does not look like a Faceptor manifest. */
export function summarizeManifest(json: unknown): PackageSummary | null {
  if (!isRecord(json)) return null;
  const { label, variant, precision, provenance, weights, files } = json;
  if (typeof label !== 'string' || typeof variant !== 'string' || typeof precision !== 'string') return null;
  const listed = Array.isArray(files) ? files.find((f) => isRecord(f) && f.path === weights) : undefined;
  const size = isRecord(listed) ? listed.size : undefined;
  return {
    label,
    variant,
    precision,
    untrained: isRecord(provenance) && provenance.untrained === true,
    ...(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? { weightsBytes: size } : {}),
  };
}

/**
 * The packages of a drop with their summaries, or null when it holds at most one package (load it as before).
 * `readText` is injectable for tests.
 */
export async function droppedPackages(
  picked: PickedPackage,
  readText: (file: File) => Promise<string> = (f) => f.text(),
): Promise<DroppedPackage[] | null> {
  const parts = splitByPackage(picked);
  if (parts.length <= 1) return null;
  return Promise.all(
    parts.map(async ({ folder, picked: part }) => {
      const manifest = part.files[part.paths.indexOf(folder ? `${part.name}/${MANIFEST_FILE}` : MANIFEST_FILE)];
      let summary: PackageSummary | null = null;
      if (manifest && manifest.size <= MAX_SUMMARY_MANIFEST_BYTES) {
        try {
          summary = summarizeManifest(JSON.parse(await readText(manifest)) as unknown);
        } catch {
          summary = null; // unreadable or not JSON: still offered; loading it names the problem
        }
      }
      return { folder, picked: part, summary };
    }),
  );
}
