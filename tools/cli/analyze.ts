/**
 * `npm run analyze -- <image files...> [--json out.json] [--detector auto|front|back] [--min-score 0.5] [--max-faces N]`
 *
 * Detects faces in PNG/JPEG files with the same pipeline as the browser app (onnxruntime-node, CPU) and prints
 * `{ "images": [ { "file", "width", "height", "faces": [ { "box", "score", "keypoints" } ], ... } ] }`
 * in source-image pixels. A file that cannot be analysed gets `{ "file", "error" }` and the others still run.
 *
 * Exit codes: 0 when at least one image was analysed; 1 when every image failed (or the detector could not be
 * loaded); 2 for a usage error.
 *
 * Options are parsed into one `CliOptions` object and images go through `analyzeFile`, so later issues add
 * `--model` / `--tasks` by extending those two without touching the output plumbing.
 */
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createFaceptor, type Faceptor, type ImageAnalysis, type DetectorModelChoice } from '../../src/lib/index.ts';
import { createNodeBackend, loadBlazeFaceModels, loadImageFile } from '../node-host/index.ts';

export const USAGE = `Usage: npm run analyze -- <image files...> [options]

Detects faces in PNG and JPEG images and prints JSON (source-image pixels).

Options:
  --json <file>          write the JSON to <file> instead of stdout (a summary goes to stdout)
  --detector <model>     auto (default: 128 front model, then the 256 back model if it found nothing),
                         front (large/near faces) or back (small faces)
  --min-score <p>        minimum detection score in [0, 1] (default 0.5)
  --max-faces <n>        keep at most n faces per image
  -h, --help             show this help

Exit codes: 0 if at least one image was analysed, 1 if all failed, 2 on a usage error.`;

export interface CliOptions {
  readonly files: readonly string[];
  readonly jsonOut?: string;
  readonly detector: DetectorModelChoice;
  readonly minScore?: number;
  readonly maxFaces?: number;
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
    } else if (a === '--') continue;
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else files.push(a);
  }
  if (!help && files.length === 0) throw new UsageError('no image files given');
  return { files, jsonOut, detector, minScore, maxFaces, help };
}

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

export interface ImageEntryOk {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly faces: { box: { x: number; y: number; width: number; height: number }; score: number; keypoints: [number, number][] }[];
  readonly detectorModel: ImageAnalysis['detectorModel'];
  readonly provider: string;
  readonly timings: ImageAnalysis['timings'];
}
export interface ImageEntryError { readonly file: string; readonly error: string }
export type ImageEntry = ImageEntryOk | ImageEntryError;

/** The JSON form of one analysis: pixels to 0.01, scores to 1e-4, timings to 1 µs. */
export function toEntry(file: string, a: ImageAnalysis): ImageEntryOk {
  const t = a.timings;
  return {
    file, width: a.width, height: a.height,
    faces: a.faces.map((f) => ({
      box: { x: round(f.box.x, 2), y: round(f.box.y, 2), width: round(f.box.width, 2), height: round(f.box.height, 2) },
      score: round(f.score, 4),
      keypoints: f.keypoints.map(([x, y]) => [round(x, 2), round(y, 2)] as [number, number]),
    })),
    detectorModel: a.detectorModel,
    provider: a.provider,
    timings: {
      decodeMs: round(t.decodeMs, 3), preprocessMs: round(t.preprocessMs, 3), runMs: round(t.runMs, 3),
      postprocessMs: round(t.postprocessMs, 3), totalMs: round(t.totalMs, 3),
    },
  };
}

export async function analyzeFile(faceptor: Faceptor, file: string, options: CliOptions): Promise<ImageEntry> {
  try {
    const t0 = performance.now();
    const image = await loadImageFile(file);
    const decodeMs = performance.now() - t0;
    const analysis = await faceptor.analyze(image, { model: options.detector, minScore: options.minScore, maxFaces: options.maxFaces, decodeMs });
    return toEntry(file, analysis);
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
    faceptor = await createFaceptor({ backend: createNodeBackend(), detectorModels: await loadBlazeFaceModels() });
  } catch (err) {
    io.err(`analyze: ${(err as Error).message}\n`);
    return 1;
  }
  const images: ImageEntry[] = [];
  try {
    for (const file of options.files) images.push(await analyzeFile(faceptor, file, options));
  } finally {
    await faceptor.dispose();
  }
  // Indented JSON, with each [x, y] keypoint kept on one line so a face reads as a few lines.
  const json = `${JSON.stringify({ images }, null, 2).replace(/\[\s+(-?[\d.e+-]+),\s+(-?[\d.e+-]+)\s+\]/g, '[$1, $2]')}\n`;
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
