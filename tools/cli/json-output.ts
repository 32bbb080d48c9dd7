/**
 * The analyze CLI's JSON output: checked before any work starts, then written one image at a time.
 *
 * Why streamed: 20 images × 100 faces with every task is more text than one JS string can hold (`JSON.stringify`
 * threw "Invalid string length" after minutes of work, and nothing was written). Each image's entry is formatted and
 * written as soon as it is done, so the size has no limit and an interrupted run keeps what was done: a complete run
 * writes exactly the document formatAnalysisDocument would; a run killed mid-way leaves that document's prefix, ending
 * after the last complete image entry (append `\n  ]\n}\n` to make it whole; see README "analyze --json").
 */
import { constants } from 'node:fs';
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { analysisDocumentParts, type ImageEntry, type ModelJson } from '../../src/pipeline/analysis-json.ts';
import { escapeJsonForTerminal } from './terminal-text.ts';

export interface JsonSink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

/** A file the CLI may replace: empty, or JSON whose first key is "model" or "images" (what analyze writes). */
async function looksLikeOurJson(path: string): Promise<boolean> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === 0 || /^\{\s*"(model|images)"/.test(head.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}

/**
 * Why `out` cannot be written, or undefined when it can: its folder must exist and be writable; it must not be one
 * of the input images (same file by device+inode, so links and `./x` spellings count) nor any other existing file
 * that analyze did not write (never overwrite what the program did not write). `isOurs` tells the latter (the JSONL
 * output passes its own test, which reads the whole file: jsonl-output.ts).
 */
export async function checkJsonOut(
  out: string,
  inputs: readonly string[],
  isOurs: (path: string) => Promise<boolean> = looksLikeOurJson,
): Promise<string | undefined> {
  const path = resolve(out);
  const folder = dirname(path);
  const folderStat = await stat(folder).catch(() => undefined);
  if (!folderStat) return `the folder ${dirname(out) || '.'} does not exist`;
  if (!folderStat.isDirectory()) return `${dirname(out)} is not a folder`;
  try {
    await access(folder, constants.W_OK);
  } catch {
    return `the folder ${dirname(out) || '.'} is not writable`;
  }
  const existing = await stat(path).catch(() => undefined);
  for (const input of inputs) {
    if (resolve(input) === path) return 'it is one of the input images';
    if (!existing) continue;
    const s = await stat(input).catch(() => undefined);
    if (s && s.dev === existing.dev && s.ino === existing.ino) return `it is the same file as the input image ${input}`;
  }
  if (existing) {
    if (existing.isDirectory()) return 'it is a folder';
    if (!existing.isFile()) return 'it exists and is not a regular file';
    try {
      await access(path, constants.W_OK);
    } catch {
      return 'the file is not writable';
    }
    if (!(await isOurs(path)))
      return 'the file exists and is not an analyze JSON file: refusing to overwrite it (remove it or choose another name)';
  }
  return undefined;
}

export async function openJsonFile(path: string): Promise<JsonSink> {
  const handle: FileHandle = await open(path, 'w');
  return {
    async write(text) {
      await handle.write(text);
    },
    async close() {
      await handle.close();
    },
  };
}

/** Writes the analysis document piece by piece (see the module comment). */
export class AnalysisWriter {
  private count = 0;
  constructor(private readonly sink: JsonSink) {}

  begin(model?: ModelJson): Promise<void> {
    return this.sink.write(escapeJsonForTerminal(analysisDocumentParts.head(model)));
  }

  add(entry: ImageEntry): Promise<void> {
    return this.sink.write(escapeJsonForTerminal(analysisDocumentParts.entry(entry, this.count++)));
  }

  /** An entry already formatted (written-entry.ts: `entryBody`, escaped): the same text `add` writes. */
  addText(body: string): Promise<void> {
    return this.sink.write(`${this.count++ === 0 ? '' : ','}\n    ${body}`);
  }

  end(): Promise<void> {
    return this.sink.write(analysisDocumentParts.tail(this.count));
  }
}
