/**
 * An image's result already turned into the text the output file holds (a JSON Lines line, or the entry of the JSON
 * document's `images`), made where the image was analysed.
 *
 * Why: with `--workers N` every result went to the main thread as an object, which cost a structured clone (~8 ms per
 * image with a parsing mask: its run-length array is copied number by number) and made the main thread's
 * JSON.stringify of the copy ~3× slower than of the original (measured, issue 15 item 5). All of it ran on the one
 * main thread every worker reports to. A string crosses threads as one copy, and the formatting runs in the N workers.
 */
import { analysisDocumentParts, type ImageEntry } from '../../src/pipeline/analysis-json.ts';
import { entryLine } from './jsonl-output.ts';
import { escapeJsonForTerminal } from './terminal-text.ts';

export type OutputFormat = 'json' | 'jsonl';

export interface WrittenEntry {
  readonly file: string;
  /** Faces found (an analysed image); absent for a failed one. */
  readonly faces?: number;
  /** Why the image failed; absent for an analysed one. */
  readonly error?: string;
  /** `format`'s text for this entry: a whole line for jsonl, the entry's body (no separator) for json. */
  readonly text: string;
}

export function writeEntry(entry: ImageEntry, format: OutputFormat): WrittenEntry {
  const text = format === 'jsonl' ? entryLine(entry) : escapeJsonForTerminal(analysisDocumentParts.entryBody(entry));
  return 'error' in entry
    ? { file: entry.file, error: entry.error, text }
    : { file: entry.file, faces: entry.faces.length, text };
}
