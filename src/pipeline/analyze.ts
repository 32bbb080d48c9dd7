/**
 * One still image → its ImageAnalysis (src/result.ts): detection, then (when a Faceptor model is given in
 * `options.faceptor`) the enabled Faceptor tasks per face as optional fields. The facade (src/faceptor.ts) calls it.
 */
import type { Box, Point, RgbaImage } from '../core/types.ts';
import type { DetectOptions, DetectResult, FaceDetector } from './detector.ts';
import type { FaceptorModel, AnalyzeFacesOptions } from './faceptor/model.ts';
import type { SourceInfo } from '../options.ts';
import type {
  ExecutionProvider,
  FaceAnalysis,
  FaceptorTimings,
  ImageAnalysis,
  LandmarkSetResult,
  ParsingResult,
} from '../result.ts';

/** Faceptor part of an analysis: the loaded model plus which tasks to run (see AnalyzeFacesOptions). */
export interface FaceptorRequest extends AnalyzeFacesOptions {
  readonly model: FaceptorModel;
}

export interface AnalyzeOptions extends DetectOptions, SourceInfo {
  /** Run Faceptor tasks on every detected face. */
  readonly faceptor?: FaceptorRequest;
}

/** Analysed → source pixels (fx = source/analysed); the reciprocal factors map back. Also used by video.ts. */
export function rescalePoint([x, y]: Point, fx: number, fy: number): Point {
  return [(x + 0.5) * fx - 0.5, (y + 0.5) * fy - 0.5];
}

/** Nearest-neighbour resample of a parsing mask from analysed pixels to source pixels (still image-aligned). */
function rescaleParsing(p: ParsingResult, fx: number, fy: number, width: number, height: number): ParsingResult {
  // analysed pixel edges e map to source coordinate e·f − 0.5; keep the source pixel centres inside [x0, x1)
  const x0 = Math.max(0, Math.ceil(p.region.x * fx - 0.5)),
    y0 = Math.max(0, Math.ceil(p.region.y * fy - 0.5));
  const x1 = Math.min(width, Math.ceil((p.region.x + p.region.width) * fx - 0.5));
  const y1 = Math.min(height, Math.ceil((p.region.y + p.region.height) * fy - 0.5));
  const w = Math.max(0, x1 - x0),
    h = Math.max(0, y1 - y0);
  const data = new Uint8Array(w * h);
  for (let j = 0; j < h; j++) {
    const sy = Math.round((y0 + j + 0.5) / fy - 0.5) - p.region.y;
    if (sy < 0 || sy >= p.height) continue;
    for (let i = 0; i < w; i++) {
      const sx = Math.round((x0 + i + 0.5) / fx - 0.5) - p.region.x;
      if (sx >= 0 && sx < p.width) data[j * w + i] = p.data[sy * p.width + sx];
    }
  }
  return { labels: p.labels, region: { x: x0, y: y0, width: w, height: h }, width: w, height: h, data };
}

/** Maps every value of a result record, keeping its closed key type. */
const mapRecord = <K extends string, T, U>(r: Readonly<Partial<Record<K, T>>>, f: (v: T) => U): Partial<Record<K, U>> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, f(v as T)])) as Partial<Record<K, U>>;

/** A face with its task fields from analysed to source pixels (see rescalePoint). Also used by video.ts. */
export function rescaleFace(face: FaceAnalysis, fx: number, fy: number, width: number, height: number): FaceAnalysis {
  const [x, y] = rescalePoint([face.box.x, face.box.y], fx, fy);
  const box: Box = { x, y, width: face.box.width * fx, height: face.box.height * fy };
  const out: FaceAnalysis = { ...face, box, keypoints: face.keypoints.map((p) => rescalePoint(p, fx, fy)) };
  return {
    ...out,
    ...(face.landmarks && {
      landmarks: mapRecord(face.landmarks, (s: LandmarkSetResult) => ({
        points: s.points.map((p) => rescalePoint(p, fx, fy)),
      })),
    }),
    ...(face.parsing && { parsing: mapRecord(face.parsing, (p) => rescaleParsing(p, fx, fy, width, height)) }),
  };
}

export async function analyzeImage(
  detector: FaceDetector,
  provider: ExecutionProvider,
  image: RgbaImage,
  options: AnalyzeOptions = {},
): Promise<ImageAnalysis> {
  const start = performance.now();
  const { decodeMs = 0, sourceSize, faceptor, ...detectOptions } = options;
  const width = sourceSize?.width ?? image.width;
  const height = sourceSize?.height ?? image.height;
  if (!(width > 0 && height > 0)) throw new Error(`Invalid source size ${width}×${height}`);
  const result = await detector.detect(image, detectOptions);
  const fx = width / image.width;
  const fy = height / image.height;
  let analysed: FaceAnalysis[] = result.faces;
  let extra: Pick<ImageAnalysis, 'model' | 'tasks' | 'runs'> = {};
  let faceptorTimings: FaceptorTimings | undefined;
  if (faceptor) {
    // Tasks run on the analysed image (its pixels are what the detector saw), then map with the faces.
    const { model, ...taskOptions } = faceptor;
    const r = await model.analyzeFaces(image, result.faces, taskOptions);
    analysed = result.faces.map((f, i) => ({ ...f, ...r.faces[i] }));
    extra = { model: model.info, tasks: r.tasks, runs: r.runs };
    faceptorTimings = r.timings;
  }
  const faces = fx === 1 && fy === 1 ? analysed : analysed.map((f) => rescaleFace(f, fx, fy, width, height));
  return assembleAnalysis({ image, width, height, faces, result, provider, decodeMs, start, faceptorTimings, extra });
}

/** The ImageAnalysis of one image or frame from its parts (shared by analyzeImage and the video mode). */
export function assembleAnalysis(p: {
  readonly image: RgbaImage;
  readonly width: number;
  readonly height: number;
  readonly faces: readonly FaceAnalysis[];
  readonly result: DetectResult;
  readonly provider: ExecutionProvider;
  readonly decodeMs: number;
  /** performance.now() when the analysis began. */
  readonly start: number;
  readonly faceptorTimings: FaceptorTimings | undefined;
  readonly extra: Pick<ImageAnalysis, 'model' | 'tasks' | 'runs'>;
}): ImageAnalysis {
  const { preprocessMs, runMs, postprocessMs } = p.result.timings;
  return {
    width: p.width,
    height: p.height,
    scale: p.image.width / p.width,
    faces: p.faces,
    detector: p.result.detector,
    provider: p.provider,
    timings: {
      decodeMs: p.decodeMs,
      preprocessMs,
      runMs,
      postprocessMs,
      totalMs: p.decodeMs + performance.now() - p.start,
      ...(p.faceptorTimings && { faceptor: p.faceptorTimings }),
    },
    ...p.extra,
  };
}
