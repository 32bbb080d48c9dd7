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
 * loaded); 2 for a usage error.
 *
 * Options are parsed into one `CliOptions` object and images go through `analyzeFile`; the JSON document is the one
 * the app exports (src/pipeline/analysis-json.ts).
 */
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createFaceptor, type Faceptor, type DetectorModelChoice } from '../../src/lib/index.ts';
import { formatAnalysisDocument, toImageEntry, type ImageEntry, type ModelJson } from '../../src/pipeline/analysis-json.ts';
import { createNodeBackend, folderPackageSource, loadBlazeFaceModels, loadImageFile } from '../node-host/index.ts';

export const USAGE = `Usage: npm run analyze -- <image files...> [options]

Detects faces in PNG and JPEG images and prints JSON (source-image pixels).

Options:
  --json <file>          write the JSON to <file> instead of stdout (a summary goes to stdout)
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

Exit codes: 0 if at least one image was analysed, 1 if all failed, 2 on a usage error.`;

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
    const image = await loadImageFile(file);
    const decodeMs = performance.now() - t0;
    const analysis = await faceptor.analyze(image, {
      model: options.detector, minScore: options.minScore, maxFaces: options.maxFaces, decodeMs,
      tasks: options.tasks, denseCrops: options.denseCrops,
    });
    return toImageEntry(file, analysis);
  } catch (err) {
    return { file, error: err instanceof Error ? err.message : String(err) };
  }
}

export interface CliIo { out(text: string): void; err(text: string): void }

export async function main(argv: readonly string[], io: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`analyze: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  let faceptor: Faceptor;
  try {
    faceptor = await createFaceptor({
      backend: createNodeBackend(), detectorModels: await loadBlazeFaceModels(),
      ...(options.modelDir && { model: folderPackageSource(options.modelDir) }),
    });
  } catch (err) {
    io.err(`analyze: ${(err as Error).message}\n`);
    return 1;
  }
  let model: ModelJson | undefined;
  if (faceptor.model) {
    try {
      model = { ...faceptor.model.info, tasks: faceptor.model.resolveTasks(options.tasks), provider: faceptor.provider };
    } catch (err) {
      await faceptor.dispose();
      io.err(`analyze: ${(err as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    if (model.untrained) io.err(`analyze: warning: ${model.label} is an UNTRAINED model (random/fixture weights): its outputs are meaningless\n`);
  }
  const images: ImageEntry[] = [];
  try {
    for (const file of options.files) images.push(await analyzeFile(faceptor, file, options));
  } finally {
    await faceptor.dispose();
  }
  const json = formatAnalysisDocument({ model, images });
  if (options.jsonOut) {
    try {
      await writeFile(options.jsonOut, json);
    } catch (err) {
      io.err(`analyze: cannot write ${options.jsonOut}: ${(err as Error).message}\n`);
      return 1;
    }
    for (const e of images) io.out('error' in e ? `${e.file}: error: ${e.error}\n` : `${e.file}: ${e.faces.length} face(s)\n`);
    io.out(`wrote ${options.jsonOut}\n`);
  } else {
    io.out(json);
  }
  for (const e of images) if ('error' in e) io.err(`analyze: ${e.error}\n`);
  return images.some((e) => !('error' in e)) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`analyze: ${err instanceof Error ? err.stack : err}\n`);
    process.exitCode = 1;
  });
}
