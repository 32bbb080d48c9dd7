/**
 * One image → the per-image analysis that the CLI, the library and the worker all return.
 * Today: detection only. Issue 4 adds Faceptor tasks per face (new optional fields on FaceAnalysis and a `tasks`
 * option) without changing this shape.
 */
import type { Box, Detection, Point, RgbaImage } from '../core/types.ts';
import type { BlazeFaceModel, DetectOptions, FaceDetector } from './detector.ts';

/** One face. Coordinates in source-image pixels (pixel centres at integers). */
export interface FaceAnalysis extends Detection {}

export interface AnalysisTimings {
  /** Image decode / frame copy into RGBA, measured by the host (0 when the host gave none). */
  readonly decodeMs: number;
  readonly preprocessMs: number;
  /** `session.run` only. */
  readonly runMs: number;
  readonly postprocessMs: number;
  /** decodeMs + everything analyzeImage did. */
  readonly totalMs: number;
}

export interface ImageAnalysis {
  /** Source-image size in pixels. */
  readonly width: number;
  readonly height: number;
  /** Analysed pixels per source pixel (< 1 when the host downscaled a large image before analysis). */
  readonly scale: number;
  readonly faces: FaceAnalysis[];
  readonly detectorModel: BlazeFaceModel;
  /** Execution provider that ran the models ('cpu', 'wasm', 'webgpu'). */
  readonly provider: string;
  readonly timings: AnalysisTimings;
}

export interface AnalyzeOptions extends DetectOptions {
  /** Time the host spent decoding the image, reported in timings. */
  readonly decodeMs?: number;
  /**
   * Size of the original image when `image` is a downscaled copy of it: faces are mapped back to the original's
   * pixels and `scale` reports image.width / source.width.
   */
  readonly sourceSize?: { readonly width: number; readonly height: number };
}

function rescalePoint([x, y]: Point, fx: number, fy: number): Point {
  return [(x + 0.5) * fx - 0.5, (y + 0.5) * fy - 0.5];
}

function rescaleFace(face: Detection, fx: number, fy: number): FaceAnalysis {
  const [x, y] = rescalePoint([face.box.x, face.box.y], fx, fy);
  const box: Box = { x, y, width: face.box.width * fx, height: face.box.height * fy };
  return { box, score: face.score, keypoints: face.keypoints.map((p) => rescalePoint(p, fx, fy)) };
}

export async function analyzeImage(detector: FaceDetector, provider: string, image: RgbaImage, options: AnalyzeOptions = {}): Promise<ImageAnalysis> {
  const start = performance.now();
  const { decodeMs = 0, sourceSize, ...detectOptions } = options;
  const width = sourceSize?.width ?? image.width;
  const height = sourceSize?.height ?? image.height;
  if (!(width > 0 && height > 0)) throw new Error(`Invalid source size ${width}×${height}`);
  const result = await detector.detect(image, detectOptions);
  const fx = width / image.width;
  const fy = height / image.height;
  const faces = fx === 1 && fy === 1 ? result.faces : result.faces.map((f) => rescaleFace(f, fx, fy));
  const { preprocessMs, runMs, postprocessMs } = result.timings;
  return {
    width, height, scale: image.width / width, faces,
    detectorModel: result.model,
    provider,
    timings: { decodeMs, preprocessMs, runMs, postprocessMs, totalMs: decodeMs + performance.now() - start },
  };
}
