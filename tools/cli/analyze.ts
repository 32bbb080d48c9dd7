/**
 * `npm run analyze -- <image files...> [--json out.json] [--detector auto|front|back] [--min-score 0.5] [--max-faces N]
 *  [--model <package dir> [--tasks default|all|<names/types>] [--dense-crops shared|exact]]`
 *
 * Detects faces in PNG/JPEG files with the same pipeline as the browser app (onnxruntime-node, CPU) and prints
 * `{ "images": [ { "file", "width", "height", "faces": [ { "box", "score", "keypoints" } ], ... } ] }`
 * in source-image pixels. A file that cannot be analysed gets `{ "file", "error" }` and the others still run.
 * With `--model`, each face also gets the Faceptor task fields and the JSON starts with `"model": {label, variant,
 * untrained, ...}` (schema in README.md, "Faceptor tasks: CLI schema and library"); an untrained package also
 * prints a warning on stderr.
 *
 * Exit codes: 0 when at least one image was analysed; 1 when every image failed (or the detector could not be
 * loaded, or the --json file cannot be written); 2 for a usage error; 130 when interrupted (Ctrl-C / SIGTERM: the
 * image being analysed is finished and the JSON is closed, holding the images done so far); 141 when stdout was closed
 * by its reader (`| head`).
 *
 * Options are parsed into one `CliOptions` object and images go through `analyzeFile`; the JSON document is the one
 * the app exports (src/pipeline/analysis-json.ts), written one image at a time as each is done (json-output.ts), so
 * its size has no limit and an interrupted run keeps its work. Images are decoded as the app decodes them (long side
 * at most 4096 px, large files decoded scaled, results in source pixels; see tools/node-host/image-file.ts).
 * Everything printed from a file (labels, names, messages) goes through terminal-text.ts.
 */
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createFaceptor, type Faceptor, type DetectorModelChoice } from '../../src/lib/index.ts';
import { toImageEntry, type ImageEntry, type ModelJson } from '../../src/pipeline/analysis-json.ts';
import { createNodeBackend, folderPackageSource, loadBlazeFaceModels, loadAnalysisImage } from '../node-host/index.ts';
import { AnalysisWriter, checkJsonOut, openJsonFile, type JsonSink } from './json-output.ts';
import { escapeForTerminal, escapeLinesForTerminal } from './terminal-text.ts';

export const USAGE = `Usage: npm run analyze -- <image files...> [options]

Detects faces in PNG and JPEG images and prints JSON (source-image pixels).

Options:
  --json <file>          write the JSON to <file> instead of stdout (a summary goes to stdout); written
                         image by image; never one of the input images or a file that is not analyze JSON
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

Exit codes: 0 if at least one image was analysed, 1 if all failed, 2 on a usage error, 130 if interrupted
(Ctrl-C: the current image is finished and the JSON closed with the images done).`;

export interface CliOptions {
  readonly files: readonly string[];
  readonly jsonOut?: string;
  readonly detector: DetectorModelChoice;
  readonly minScore?: number;
  readonly maxFaces?: number;
  readonly modelDir?: string;
  readonly tasks: readonly string[];
  readonly denseCrops: 'shared' | 'exact';
  readonly help: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const files: string[] = [];
  let jsonOut: string | undefined;
  let detector: DetectorModelChoice = 'auto';
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
    else if (a === '--detector') {
      const v = value(i++, a);
      if (v !== 'auto' && v !== 'front' && v !== 'back') throw new UsageError(`--detector must be auto, front or back (got '${v}')`);
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
      tasks = value(i++, a).split(',').map((w) => w.trim()).filter(Boolean);
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
  if (!modelDir && (tasks || denseCropsGiven)) throw new UsageError('--tasks and --dense-crops need --model <package dir>');
  return { files, jsonOut, detector, minScore, maxFaces, modelDir, tasks: tasks ?? ['default'], denseCrops, help };
}

export type { ImageEntry, ImageEntryError, ImageEntryOk } from '../../src/pipeline/analysis-json.ts';

export async function analyzeFile(faceptor: Faceptor, file: string, options: CliOptions): Promise<ImageEntry> {
  try {
    const t0 = performance.now();
    const { image, source } = await loadAnalysisImage(file);
    const decodeMs = performance.now() - t0;
    const analysis = await faceptor.analyze(image, {
      model: options.detector, minScore: options.minScore, maxFaces: options.maxFaces, decodeMs, sourceSize: source,
      tasks: options.tasks, denseCrops: options.denseCrops,
    });
    return toImageEntry(file, analysis);
  } catch (err) {
    return { file, error: err instanceof Error ? err.message : String(err) };
  }
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Optional: resolves once `text` was handed to the OS (stdout backpressure: a slow pipe does not pile up JSON). */
  outFlushed?(text: string): Promise<void>;
}

export interface MainHooks {
  /** Aborted → finish the current image, close the JSON and exit 130 (the entry point wires SIGINT/SIGTERM here). */
  readonly signal?: AbortSignal;
}

const defaultIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  outFlushed: (t) => new Promise((resolve, reject) => { process.stdout.write(t, (e) => (e ? reject(e) : resolve())); }),
};

export async function main(argv: readonly string[], io: CliIo = defaultIo, hooks: MainHooks = {}): Promise<number> {
  const err = (text: string) => io.err(`analyze: ${escapeForTerminal(text)}\n`);
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`analyze: ${escapeForTerminal(e.message)}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  // The output is checked before any work: a missing folder, a photo named as output, or a file that is not ours
  // must not cost a long run (or the photo).
  if (options.jsonOut) {
    const problem = await checkJsonOut(options.jsonOut, options.files);
    if (problem) {
      err(`cannot write ${options.jsonOut}: ${problem}`);
      return 1;
    }
  }
  let faceptor: Faceptor;
  try {
    faceptor = await createFaceptor({
      backend: createNodeBackend(), detectorModels: await loadBlazeFaceModels(),
      ...(options.modelDir && { model: folderPackageSource(options.modelDir) }),
    });
  } catch (e) {
    err((e as Error).message);
    return 1;
  }
  let model: ModelJson | undefined;
  if (faceptor.model) {
    try {
      model = { ...faceptor.model.info, tasks: faceptor.model.resolveTasks(options.tasks), provider: faceptor.provider };
    } catch (e) {
      await faceptor.dispose();
      io.err(`analyze: ${escapeForTerminal((e as Error).message)}\n\n${USAGE}\n`);
      return 2;
    }
    if (model.untrained) err(`warning: ${model.label} is an UNTRAINED model (random/fixture weights): its outputs are meaningless`);
  }
  let sink: JsonSink;
  try {
    sink = options.jsonOut ? await openJsonFile(options.jsonOut)
      : { write: async (t) => { if (io.outFlushed) await io.outFlushed(t); else io.out(t); }, close: async () => undefined };
  } catch (e) {
    await faceptor.dispose();
    err(`cannot write ${options.jsonOut}: ${(e as Error).message}`);
    return 1;
  }
  const writer = new AnalysisWriter(sink);
  let ok = 0, failed = 0, interrupted = false, writeError: unknown;
  try {
    await writer.begin(model);
    for (const file of options.files) {
      if (hooks.signal?.aborted) { interrupted = true; break; }
      const entry = await analyzeFile(faceptor, file, options);
      await writer.add(entry);
      if ('error' in entry) {
        failed++;
        if (options.jsonOut) io.out(escapeForTerminal(`${entry.file}: error: ${entry.error}`) + '\n');
        err(entry.error);
      } else {
        ok++;
        if (options.jsonOut) io.out(escapeForTerminal(`${entry.file}: ${entry.faces.length} face(s)`) + '\n');
      }
    }
    await writer.end();
  } catch (e) {
    writeError = e;
  } finally {
    await faceptor.dispose();
    await sink.close().catch((e: unknown) => { writeError ??= e; });
  }
  if (writeError) {
    err(`cannot write ${options.jsonOut ?? 'the JSON'}: ${(writeError as Error).message} (the images done so far are in it, unterminated)`);
    return 1;
  }
  if (options.jsonOut) io.out(escapeForTerminal(`wrote ${options.jsonOut}`) + '\n');
  if (interrupted) {
    err(`interrupted: ${ok + failed} of ${options.files.length} image(s) analysed${options.jsonOut ? ` and written to ${options.jsonOut}` : ''}`);
    return 130;
  }
  return ok > 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stop = new AbortController();
  // First Ctrl-C / SIGTERM: finish the current image and close the JSON; a second one ends the process at once.
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(130); // the JSON keeps the images written so far (see README)
    process.stderr.write(`analyze: ${sig}: finishing the current image, then closing the JSON (again to stop now)\n`);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The reader of stdout went away (`… | head`): stop quietly, as a shell pipeline expects (128 + SIGPIPE).
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(141); else throw e; });
  main(process.argv.slice(2), defaultIo, { signal: stop.signal }).then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`analyze: ${escapeLinesForTerminal(String(err instanceof Error ? err.stack : err))}\n`);
    process.exitCode = 1;
  });
}
