/**
 * Turning a dropped or picked model folder into the worker's `{ kind: 'files' }` source. Files from drag-and-drop
 * carry no webkitRelativePath, so dropped folders are walked through the entry API and their paths passed alongside
 * (ModelSource.paths); a folder picked with <input webkitdirectory> has the paths on the files already.
 */

/** The parts of the browser's FileSystemEntry API we use, so Node tests can stand in for them. */
export interface EntryLike {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly name: string;
  /** '/folder/file.onnx' for dropped entries. */
  readonly fullPath: string;
}
export interface FileEntryLike extends EntryLike {
  file(ok: (file: File) => void, fail?: (err: unknown) => void): void;
}
export interface DirectoryEntryLike extends EntryLike {
  createReader(): { readEntries(ok: (entries: EntryLike[]) => void, fail?: (err: unknown) => void): void };
}

export interface PickedPackage {
  readonly files: File[];
  /** Parallel to `files`, like webkitRelativePath ('full/faceptor.json', or 'faceptor.json' for loose files). */
  readonly paths: string[];
  /** The dropped folder's name ('files' for loose files). */
  readonly name: string;
}

const isDirectory = (e: EntryLike): e is DirectoryEntryLike => e.isDirectory;
const isFile = (e: EntryLike): e is FileEntryLike => e.isFile;

async function readAll(dir: DirectoryEntryLike): Promise<EntryLike[]> {
  const reader = dir.createReader();
  const out: EntryLike[] = [];
  // readEntries hands out batches (Chrome: 100 at a time) and an empty batch at the end.
  for (;;) {
    const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
    if (!batch.length) return out;
    out.push(...batch);
  }
}

/** Every file under the given entries, with its path relative to the drop (leading '/' removed). */
export async function walkEntries(entries: readonly EntryLike[]): Promise<{ files: File[]; paths: string[] }> {
  const files: File[] = [];
  const paths: string[] = [];
  const visit = async (entry: EntryLike): Promise<void> => {
    if (isDirectory(entry)) {
      for (const child of await readAll(entry)) await visit(child);
    } else if (isFile(entry)) {
      files.push(await new Promise<File>((ok, fail) => entry.file(ok, fail)));
      paths.push(entry.fullPath.replace(/^\/+/, '') || entry.name);
    }
  };
  for (const entry of entries) await visit(entry);
  return { files, paths };
}

/** The folder the paths share as their first segment, else 'files' (loose files or several folders). */
export function packageName(paths: readonly string[]): string {
  const first = paths.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : null));
  return first.length && first[0] !== null && first.every((f) => f === first[0]) ? first[0] : 'files';
}

/**
 * The dropped items as a package. Entries must be taken from the DataTransfer synchronously inside the drop handler
 * (the list is emptied once the handler returns), so call this before any await.
 */
export function fromDataTransfer(dt: DataTransfer): Promise<PickedPackage> {
  const entries = [...dt.items]
    .map((item) => (item.kind === 'file' ? item.webkitGetAsEntry?.() : null))
    .filter((e): e is FileSystemEntry => !!e);
  const loose = [...dt.files];
  return (async () => {
    if (!entries.length) return fromFiles(loose); // no entry API: plain files only
    const { files, paths } = await walkEntries(entries as unknown as EntryLike[]);
    return { files, paths, name: packageName(paths) };
  })();
}

/** Files picked with <input type=file webkitdirectory multiple> (paths from webkitRelativePath) or loose files. */
export function fromFiles(list: Iterable<File>): PickedPackage {
  const files = [...list];
  const paths = files.map((f) => f.webkitRelativePath || f.name);
  return { files, paths, name: packageName(paths) };
}
