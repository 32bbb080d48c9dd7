/**
 * `analyze --jsonl out.jsonl`: one JSON line per image, appended as each is done, and `--resume` to continue a run
 * that was interrupted (Ctrl-C, a kill, a lost machine).
 *
 * The file: a header line `{"format":"faceptor-analyze-jsonl","version":1,"settings":{…},"model":{…}}` (what the run
 * was asked to do), then one line per image — the same entry the JSON document holds (`{ "file", "width", … }` or
 * `{ "file", "error" }`). Each line goes out in one write ending in "\n", so a hard kill can only leave the LAST line
 * torn (no "\n"); every complete line parses.
 *
 * Resuming reads the file first (scanJsonl): the header must be ours and say the same settings and model, else the
 * file is refused — results of two different runs are never mixed, and a file this program did not write is never
 * touched. A torn last line is cut off (it is the program's own unfinished write), and every image already in the file
 * is skipped, so each image ends up exactly once.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { ImageEntry, ModelJson } from '../../src/pipeline/analysis-json.ts';
import { escapeJsonForTerminal } from './terminal-text.ts';
import type { SessionSettings } from './analyze-session.ts';

export const JSONL_FORMAT = 'faceptor-analyze-jsonl';
export const JSONL_VERSION = 1;
/** No line we write comes near this (a photo with 100 faces and every task is a few MB); longer is not our file. */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;
const CHUNK = 1 << 20;

/** What decides the results: a resumed run must have asked for the same (the execution provider may differ). */
export interface RunSettings {
  readonly detector: string;
  readonly minScore: number | null;
  readonly maxFaces: number | null;
  readonly tasks: readonly string[];
  readonly denseCrops: string;
  /** `i/n` or null. */
  readonly shard: string | null;
}

export interface JsonlHeader {
  readonly format: typeof JSONL_FORMAT;
  readonly version: number;
  readonly settings: RunSettings;
  readonly model?: ModelJson;
}

export function runSettings(s: SessionSettings, shard: string | undefined): RunSettings {
  return {
    detector: s.detector,
    minScore: s.minScore ?? null,
    maxFaces: s.maxFaces ?? null,
    tasks: [...s.tasks],
    denseCrops: s.denseCrops,
    shard: shard ?? null,
  };
}

export function headerLine(settings: RunSettings, model?: ModelJson): string {
  const header: JsonlHeader = { format: JSONL_FORMAT, version: JSONL_VERSION, settings, ...(model && { model }) };
  return `${escapeJsonForTerminal(JSON.stringify(header))}\n`;
}

export function entryLine(entry: ImageEntry): string {
  return `${escapeJsonForTerminal(JSON.stringify(entry))}\n`;
}

export type JsonlScan =
  | { readonly kind: 'empty' }
  | {
      readonly kind: 'ours';
      readonly header: JsonlHeader;
      /** `file` of every complete entry line. */
      readonly done: ReadonlySet<string>;
      readonly entries: number;
      /** Bytes up to the end of the last complete line: what a resumed run keeps. */
      readonly completeBytes: number;
      /** Bytes of a torn last line (a write cut by a kill); 0 when the file ends with "\n". */
      readonly tornBytes: number;
    }
  | { readonly kind: 'foreign'; readonly why: string };

function parseHeader(text: string): JsonlHeader | undefined {
  try {
    const h = JSON.parse(text) as Partial<JsonlHeader>;
    if (
      h &&
      typeof h === 'object' &&
      h.format === JSONL_FORMAT &&
      typeof h.version === 'number' &&
      h.settings &&
      typeof h.settings === 'object'
    )
      return h as JsonlHeader;
  } catch {
    /* not ours */
  }
  return undefined;
}

/**
 * Reads an existing JSONL output line by line (never whole: it may be gigabytes), validating as it goes. Any line that
 * is not what analyze writes makes the file 'foreign' — refused, never truncated or appended to.
 */
export async function scanJsonl(path: string): Promise<JsonlScan> {
  // O_NONBLOCK: a FIFO named as output must not hang the check (checkJsonOut refuses non-regular files before this)
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) return { kind: 'foreign', why: 'it is not a regular file' };
    const buf = Buffer.alloc(CHUNK);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let offset = 0,
      lineNo = 0,
      completeBytes = 0,
      entries = 0;
    let header: JsonlHeader | undefined;
    const done = new Set<string>();
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, offset);
      if (bytesRead === 0) break;
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1 && nl < bytesRead; nl = buf.indexOf(10, start)) {
        const part = buf.subarray(start, nl);
        const line = pendingBytes ? Buffer.concat([...pending, part]).toString('utf8') : part.toString('utf8');
        lineNo++;
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
        if (lineNo === 1) {
          header = parseHeader(line);
          if (!header) return { kind: 'foreign', why: 'its first line is not an analyze JSONL header' };
        } else {
          let entry: unknown;
          try {
            entry = JSON.parse(line);
          } catch {
            entry = undefined;
          }
          const file = entry && typeof entry === 'object' ? (entry as { file?: unknown }).file : undefined;
          if (typeof file !== 'string') return { kind: 'foreign', why: `line ${lineNo} is not an analyze result` };
          done.add(file);
          entries++;
        }
        completeBytes = offset + nl + 1;
      }
      if (start < bytesRead) {
        pending.push(Buffer.from(buf.subarray(start, bytesRead)));
        pendingBytes += bytesRead - start;
        if (pendingBytes > MAX_LINE_BYTES)
          return { kind: 'foreign', why: `line ${lineNo + 1} is longer than ${MAX_LINE_BYTES / 2 ** 20} MiB` };
      }
      offset += bytesRead;
    }
    if (offset === 0) return { kind: 'empty' };
    // the header is one small write: without a complete one, nothing proves the file is ours
    if (!header) return { kind: 'foreign', why: 'it does not start with an analyze JSONL header line' };
    return { kind: 'ours', header, done, entries, completeBytes, tornBytes: offset - completeBytes };
  } finally {
    await handle.close();
  }
}

/**
 * Why a file written with `old` cannot be continued by a run with `now` (undefined: it can). The model is compared
 * only with `withModel` (the CLI checks the settings before loading the model, the model once it is loaded).
 */
export function resumeMismatch(
  old: JsonlHeader,
  now: { settings: RunSettings; model?: ModelJson },
  withModel = false,
): string | undefined {
  if (old.version !== JSONL_VERSION) return `it is format version ${old.version}, this version writes ${JSONL_VERSION}`;
  const a = old.settings as unknown as Record<string, unknown>,
    b = now.settings as unknown as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k]))
      return `it was written with ${k} ${JSON.stringify(a[k] ?? null)}, this run has ${JSON.stringify(b[k])}`;
  }
  if (!withModel) return undefined;
  const id = (m?: ModelJson) => (m ? JSON.stringify([m.sourceSha256, m.variant, m.precision, m.tasks]) : 'none');
  if (id(old.model) !== id(now.model)) {
    const name = (m?: ModelJson) => (m ? `${m.label} (${m.precision}, tasks ${m.tasks.join(',')})` : 'no model');
    return `it was written with ${name(old.model)}, this run has ${name(now.model)}`;
  }
  return undefined;
}

export interface JsonlFile {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the output: a new (or empty) file gets the header; a resumed one is cut back to its last complete line
 * (`completeBytes`, from a scan that proved it ours) and appended to.
 */
export async function openJsonl(path: string, header: string, resumeAt?: number): Promise<JsonlFile> {
  let handle: FileHandle;
  if (resumeAt === undefined) {
    handle = await open(path, 'w');
    await handle.write(header);
  } else {
    handle = await open(path, constants.O_WRONLY | constants.O_APPEND);
    await handle.truncate(resumeAt);
  }
  return {
    async write(text) {
      await handle.write(text);
    },
    async close() {
      await handle.close();
    },
  };
}
