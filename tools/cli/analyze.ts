/**
 * `npm run analyze -- <images, folders, globs...> [--json out.json | --jsonl out.jsonl [--resume]] [--workers N]
 *  [--shard i/n] [--detector auto|front|back] [--min-score 0.5] [--max-faces N]
 *  [--model <package dir> [--tasks default|all|<names/types>] [--dense-crops shared|exact]]`
 *
 * Detects faces in PNG/JPEG files with the same pipeline as the browser app (onnxruntime-node, CPU) and prints
 * `{ "images": [ { "file", "width", "height", "faces": [ { "box", "score", "keypoints" } ], ... } ] }`
 * in source-image pixels. A file that cannot be analysed gets `{ "file", "error" }` and the others still run.
 * With `--model`, each face also gets the Faceptor task fields and the JSON starts with `"model": {label, variant,
 * untrained, ...}` (schema in README.md, "Faceptor tasks: CLI schema and library"); an untrained package also
 * prints a warning on stderr.
 *
 * At scale (README "Command line: analyze"): folders are walked and globs expanded (inputs.ts); `--jsonl` writes one
 * line per image and `--resume` continues an interrupted run (jsonl-output.ts); `--workers N` analyses in N worker
 * threads (analyze-pool.ts), results written in input order (run-ordered.ts); `--shard i/n` keeps this machine's part
 * of the collection; progress goes to stderr (progress.ts).
 *
 * Exit codes: 0 when at least one image was analysed (or there was nothing left to do: an empty shard, a finished
 * resumed run); 1 when every image failed (or the detector could not be loaded, or the output cannot be written); 2
 * for a usage error; 130 when interrupted (Ctrl-C / SIGTERM: the images being analysed are finished and the output
 * is closed, holding the images done so far); 141 when stdout was closed by its reader (`| head`).
 *
 * Everything printed from a file (labels, names, messages) goes through terminal-text.ts.
 */
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { DetectorChoice } from '../../src/lib/index.ts';
import type { WrittenEntry } from './written-entry.ts';
import { AnalysisWriter, checkJsonOut, openJsonFile, type JsonSink } from './json-output.ts';
import { headerLine, openJsonl, resumeMismatch, runSettings, scanJsonl, type JsonlScan } from './jsonl-output.ts';
import { expandInputs, InputError, parseShard, selectShard, type InputFile, type Shard } from './inputs.ts';
import { createAnalyzer, type Analyzer } from './analyze-pool.ts';
import { SessionOpenError, type SessionSettings } from './analyze-session.ts';
import { runOrdered } from './run-ordered.ts';
import { Progress } from './progress.ts';
import { escapeForTerminal, escapeLinesForTerminal } from './terminal-text.ts';

export { analyzeFile } from './analyze-session.ts';

export const USAGE = `Usage: npm run analyze -- <images, folders or globs...> [options]

Detects faces in PNG and JPEG images and prints JSON (source-image pixels). A folder is searched recursively for
.png/.jpg/.jpeg files (hidden entries skipped); a quoted glob ('photos/**/*.jpg') is expanded.

Options:
  --json <file>          write the JSON document to <file> instead of stdout (a summary goes to stdout); written
                         image by image; never one of the input images or a file that is not analyze JSON
  --jsonl <file>         write JSON Lines instead: a header line, then one line per image as it is done
  --format json|jsonl    the format printed to stdout when no file is given (default json)
  --resume               with --jsonl: continue an interrupted run, skipping the images already in the file
                         (same inputs and options; a torn last line left by a kill is dropped)
  --workers <n>          analyse in n worker threads, each with its own single-threaded session (default 1);
                         results are written in input order
  --shard <i>/<n>        analyse only shard i of n (0-based) of the inputs, split by a hash of each file's path
                         relative to the folder or glob that found it (stable when files are added)
  --detector <model>     auto (default: both models, plus the 256 model on tiles of a large photo, merged),
                         front (large/near faces only) or back (small faces only)
  --min-score <p>        minimum detection score in [0, 1] (default 0.5)
  --max-faces <n>        keep at most n faces per image
  --model <dir>          a Faceptor model package (npm run export) : adds landmarks, parsing, age, expression,
                         attributes and identity per face
  --tasks <list>         with --model: comma-separated task names (age_morph2), types (landmarks, parsing, age,
                         expression, attributes, identity), 'default' (one head per type; the default) or 'all'
  --dense-crops <mode>   with --model: shared (one 512 crop for landmarks+parsing; default) or exact (each task's
                         training framing, up to four 512 passes)
  -h, --help             show this help

Progress goes to stderr: a bar on a terminal, otherwise a line at the first image, then every 10 s.
Exit codes: 0 if at least one image was analysed (or none was left to do), 1 if all failed, 2 on a usage error,
130 if interrupted (Ctrl-C: the images in progress are finished and the output closed with the images done).`;

/** The command line: what each analysis session does (SessionSettings), plus the inputs, outputs and scale-out. */
export interface CliOptions extends SessionSettings {
  /** The arguments naming inputs: files, folders, globs (expanded by expandInputs). */
  readonly files: readonly string[];
  readonly jsonOut?: string;
  readonly jsonlOut?: string;
  readonly format: 'json' | 'jsonl';
  readonly resume: boolean;
  readonly workers: number;
  readonly shard?: Shard;
  readonly help: boolean;
}

/** Most worker threads accepted: each holds its own sessions (memory), and more threads than cores only queue. */
export const MAX_WORKERS = 64;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const files: string[] = [];
  let jsonOut: string | undefined;
  let jsonlOut: string | undefined;
  let format: 'json' | 'jsonl' | undefined;
  let resume = false;
  let workers = 1;
  let shard: Shard | undefined;
  let detector: DetectorChoice = 'auto';
  let minScore: number | undefined;
  let maxFaces: number | undefined;
  let modelDir: string | undefined;
  let tasks: string[] | undefined;
  let denseCrops: 'shared' | 'exact' = 'shared';
  let denseCropsGiven = false;
  let help = false;
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') help = true;
    else if (a === '--json') jsonOut = value(i++, a);
    else if (a === '--jsonl') jsonlOut = value(i++, a);
    else if (a === '--format') {
      const v = value(i++, a);
      if (v !== 'json' && v !== 'jsonl') throw new UsageError(`--format must be json or jsonl (got '${v}')`);
      format = v;
    } else if (a === '--resume') resume = true;
    else if (a === '--workers') {
      const v = Number(value(i++, a));
      if (!(Number.isInteger(v) && v >= 1 && v <= MAX_WORKERS))
        throw new UsageError(`--workers must be an integer from 1 to ${MAX_WORKERS}`);
      workers = v;
    } else if (a === '--shard') {
      try {
        shard = parseShard(value(i++, a));
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    } else if (a === '--detector') {
      const v = value(i++, a);
      if (v !== 'auto' && v !== 'front' && v !== 'back')
        throw new UsageError(`--detector must be auto, front or back (got '${v}')`);
      detector = v;
    } else if (a === '--min-score') {
      const v = Number(value(i++, a));
      if (!(v >= 0 && v <= 1)) throw new UsageError(`--min-score must be a number in [0, 1]`);
      minScore = v;
    } else if (a === '--max-faces') {
      const v = Number(value(i++, a));
      if (!(Number.isInteger(v) && v > 0)) throw new UsageError(`--max-faces must be a positive integer`);
      maxFaces = v;
    } else if (a === '--model') modelDir = value(i++, a);
    else if (a === '--tasks') {
      tasks = value(i++, a)
        .split(',')
        .map((w) => w.trim())
        .filter(Boolean);
      if (tasks.length === 0) throw new UsageError('--tasks needs at least one task');
    } else if (a === '--dense-crops') {
      const v = value(i++, a);
      if (v !== 'shared' && v !== 'exact') throw new UsageError(`--dense-crops must be shared or exact (got '${v}')`);
      denseCrops = v;
      denseCropsGiven = true;
    } else if (a === '--') continue;
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else files.push(a);
  }
  if (!help && files.length === 0) throw new UsageError('no image files given');
  if (!modelDir && (tasks || denseCropsGiven))
    throw new UsageError('--tasks and --dense-crops need --model <package dir>');
  if (jsonOut && jsonlOut) throw new UsageError('--json and --jsonl cannot both be given');
  if (format && (jsonOut || jsonlOut))
    throw new UsageError('--format is for stdout; --json and --jsonl already say the format');
  if (resume && !jsonlOut) throw new UsageError('--resume needs --jsonl <file> (the file to continue)');
  return {
    files,
    jsonOut,
    jsonlOut,
    format: jsonlOut ? 'jsonl' : (format ?? 'json'),
    resume,
    workers,
    shard,
    detector,
    minScore,
    maxFaces,
    modelDir,
    tasks: tasks ?? ['default'],
    denseCrops,
    help,
  };
}

export type { ImageEntry, ImageEntryError, ImageEntryOk } from '../../src/pipeline/analysis-json.ts';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Optional: resolves once `text` was handed to the OS (stdout backpressure: a slow pipe does not pile up JSON). */
  outFlushed?(text: string): Promise<void>;
  /** stderr is a terminal: progress is a bar redrawn in place (otherwise a plain line every 10 s). */
  readonly errIsTTY?: boolean;
  readonly errColumns?: number;
}

export interface MainHooks {
  /** Aborted → finish the images in progress, close the output and exit 130 (the entry point wires SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
  /** Plain progress lines (stderr not a terminal): one per this many ms (default 10 000). */
  readonly progressIntervalMs?: number;
}

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  outFlushed: (t) =>
    new Promise((resolve, reject) => {
      process.stdout.write(t, (e) => (e ? reject(e) : resolve()));
    }),
  get errIsTTY() {
    return process.stderr.isTTY === true;
  },
  get errColumns() {
    return process.stderr.columns;
  },
};

/** Where results go: the JSON document (file or stdout) or JSON Lines (file or stdout), one entry at a time. */
interface ResultSink {
  add(entry: WrittenEntry): Promise<void>;
  /** Completes the document (JSON's closing brackets) and closes the file. */
  end(): Promise<void>;
  close(): Promise<void>;
}

export async function main(argv: readonly string[], io: CliIo = defaultIo, hooks: MainHooks = {}): Promise<number> {
  const err = (text: string) => io.err(`analyze: ${escapeForTerminal(text)}\n`);
  const usage = (message: string) => {
    io.err(`analyze: ${escapeForTerminal(message)}\n\n${USAGE}\n`);
    return 2;
  };
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return usage(e.message);
  }
  if (options.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  let inputs: InputFile[];
  try {
    const all = await expandInputs(options.files);
    if (all.length === 0) {
      err(`no images found in ${options.files.join(' ')} (folders are searched for ${'.png, .jpg, .jpeg'} files)`);
      return 1;
    }
    inputs = selectShard(all, options.shard);
    if (options.shard)
      err(`shard ${options.shard.index}/${options.shard.count}: ${inputs.length} of ${all.length} image(s)`);
  } catch (e) {
    if (e instanceof InputError) return usage(e.message);
    err(`cannot list the inputs: ${(e as Error).message}`);
    return 1;
  }
  const outFile = options.jsonOut ?? options.jsonlOut;
  // The output is checked before any work: a missing folder, a photo named as output, or a file that is not ours
  // must not cost a long run (or the photo).
  let scan: JsonlScan = { kind: 'empty' };
  if (outFile) {
    const paths = inputs.map((f) => f.path);
    let problem = options.jsonlOut
      ? await checkJsonOut(outFile, paths, async () => true)
      : await checkJsonOut(outFile, paths);
    if (!problem && options.jsonlOut) {
      scan = await scanJsonl(outFile).catch((e: NodeJS.ErrnoException) =>
        e.code === 'ENOENT' ? { kind: 'empty' as const } : { kind: 'foreign' as const, why: e.message },
      );
      if (scan.kind === 'foreign')
        problem = `${scan.why}: it is not an analyze JSONL file, refusing to touch it (remove it or choose another name)`;
      else if (scan.kind === 'ours' && !options.resume) {
        if (scan.entries > 0 || scan.tornBytes > 0)
          problem = `it holds ${scan.entries} result(s) of an earlier run: add --resume to continue it, or remove it to start again`;
        else scan = { kind: 'empty' }; // only a header: nothing to keep, written anew
      }
    }
    if (problem) {
      err(`cannot write ${outFile}: ${problem}`);
      return 1;
    }
  }
  const settings: SessionSettings = {
    detector: options.detector,
    minScore: options.minScore,
    maxFaces: options.maxFaces,
    modelDir: options.modelDir,
    tasks: options.tasks,
    denseCrops: options.denseCrops,
  };
  const shardText = options.shard && `${options.shard.index}/${options.shard.count}`;
  const settingsLine = runSettings(settings, shardText);
  // settings first, before the model is loaded (minutes at real size with many workers); the model once it is
  const refuseResume = async (mismatch: string | undefined) => {
    if (!mismatch) return false;
    err(`cannot resume ${outFile}: ${mismatch}; refusing to mix results of different runs (use another file)`);
    return true;
  };
  if (scan.kind === 'ours' && (await refuseResume(resumeMismatch(scan.header, { settings: settingsLine })))) return 1;
  let analyzer: Analyzer;
  try {
    analyzer = await createAnalyzer(settings, Math.min(options.workers, Math.max(1, inputs.length)), options.format);
  } catch (e) {
    if (e instanceof SessionOpenError && e.exitCode === 2) return usage(e.message);
    err((e as Error).message);
    return 1;
  }
  const model = analyzer.model;
  if (model?.untrained)
    err(`warning: ${model.label} is an UNTRAINED model (random/fixture weights): its outputs are meaningless`);

  let todo = inputs;
  if (scan.kind === 'ours') {
    if (await refuseResume(resumeMismatch(scan.header, { settings: settingsLine, model }, true))) {
      await analyzer.close();
      return 1;
    }
    todo = inputs.filter((f) => !scan.done.has(f.path));
    err(
      `resuming ${outFile}: ${inputs.length - todo.length} of ${inputs.length} image(s) already done` +
        (scan.tornBytes ? `; dropping a torn last line (${scan.tornBytes} bytes) left by an interrupted run` : ''),
    );
  }

  let sink: ResultSink;
  try {
    sink = await openSink(options, io, settingsLine, scan, model);
  } catch (e) {
    await analyzer.close();
    err(`cannot write ${outFile}: ${(e as Error).message}`);
    return 1;
  }
  const cpu0 = process.cpuUsage(); // the whole process: every worker thread and ORT thread
  const progress = new Progress(
    { err: io.err, isTTY: io.errIsTTY === true, columns: io.errColumns },
    todo.length,
    hooks.progressIntervalMs,
  );
  let ok = 0,
    failed = 0,
    interrupted = false,
    writeError: unknown;
  try {
    const started = await runOrdered(
      todo,
      { concurrency: analyzer.concurrency, signal: hooks.signal },
      (f) => analyzer.analyze(f.path),
      async (entry) => {
        await sink.add(entry);
        if (entry.error !== undefined) {
          failed++;
          progress.log(io.err, `analyze: ${escapeForTerminal(entry.error)}\n`);
          if (outFile) progress.log(io.out, escapeForTerminal(`${entry.file}: error: ${entry.error}`) + '\n');
        } else {
          ok++;
          if (outFile) progress.log(io.out, escapeForTerminal(`${entry.file}: ${entry.faces ?? 0} face(s)`) + '\n');
        }
        progress.tick(entry.error === undefined);
      },
    );
    interrupted = started < todo.length;
    await sink.end();
  } catch (e) {
    writeError = e;
  } finally {
    await analyzer.close();
    await sink.close().catch((e: unknown) => {
      writeError ??= e;
    });
  }
  const { seconds, rate } = progress.finish();
  if (writeError) {
    err(
      `cannot write ${outFile ?? 'the output'}: ${(writeError as Error).message} (the images done so far are in it${options.format === 'json' ? ', unterminated' : ''})`,
    );
    return 1;
  }
  if (outFile) io.out(escapeForTerminal(`wrote ${outFile}`) + '\n');
  if (ok + failed > 0) {
    const cpu = process.cpuUsage(cpu0);
    const workers = `${analyzer.concurrency} worker${analyzer.concurrency > 1 ? ' threads' : ''}`;
    const rssMiB = (process.resourceUsage().maxRSS / 1024).toFixed(0); // process-wide: all worker threads' sessions
    err(
      `${ok + failed} image(s) in ${seconds.toFixed(2)} s (${rate.toFixed(3)} images/s, ${workers}, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} CPU s, peak RSS ${rssMiB} MiB), ${failed} failed`,
    );
  }
  if (interrupted) {
    err(
      `interrupted: ${ok + failed} of ${todo.length} image(s) analysed${outFile ? ` and written to ${outFile}` : ''}`,
    );
    return 130;
  }
  return ok > 0 || todo.length === 0 ? 0 : 1;
}

async function openSink(
  options: CliOptions,
  io: CliIo,
  settings: ReturnType<typeof runSettings>,
  scan: JsonlScan,
  model: Analyzer['model'],
): Promise<ResultSink> {
  const stdout: JsonSink = {
    write: async (t) => {
      if (io.outFlushed) await io.outFlushed(t);
      else io.out(t);
    },
    close: async () => undefined,
  };
  if (options.format === 'jsonl') {
    const header = headerLine(settings, model);
    const file = options.jsonlOut
      ? await openJsonl(options.jsonlOut, header, scan.kind === 'ours' ? scan.completeBytes : undefined)
      : (await stdout.write(header), stdout);
    return { add: (e) => file.write(e.text), end: async () => undefined, close: () => file.close() };
  }
  const file = options.jsonOut ? await openJsonFile(options.jsonOut) : stdout;
  const writer = new AnalysisWriter(file);
  await writer.begin(model);
  return { add: (e) => writer.addText(e.text), end: () => writer.end(), close: () => file.close() };
}

// Run as a program only from the main thread: a worker thread sees the same process.argv[1].
if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stop = new AbortController();
  // First Ctrl-C / SIGTERM: finish the images in progress and close the output; a second one ends the process at once.
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130); // the output keeps the images written so far (see README)
    process.stderr.write(
      `\nanalyze: ${sig}: finishing the images in progress, then closing the output (again to stop now)\n`,
    );
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The reader of stdout went away (`… | head`): stop quietly, as a shell pipeline expects (128 + SIGPIPE).
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    else throw e;
  });
  main(process.argv.slice(2), defaultIo, { signal: stop.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`analyze: ${escapeLinesForTerminal(String(err instanceof Error ? err.stack : err))}\n`);
      process.exitCode = 1;
    },
  );
}
