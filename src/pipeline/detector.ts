/**
 * BlazeFace face detector over the InferenceBackend seam (no onnxruntime import: runs in the browser worker and
 * in Node alike). One pass = letterbox the RGBA image into the model's square input, run, decode against the
 * anchors, weighted NMS, map back to source pixels.
 *
 * Model choice:
 * - 'front' (128): near, large faces — use it for webcam video (fast, and what MediaPipe uses for selfies).
 * - 'back'  (256): smaller faces (photos, group shots), 2–3× the cost.
 * - 'auto' (default, for photos): every face a person sees — the 128 model and the 256 model on the whole image,
 *   plus the 256 model on overlapping tiles of a large image, merged by weighted NMS (core/detect/photo.ts). A face
 *   only a tile saw must be small (≤ 1/16 of the long side) and confirmed by the 128 model on a close crop: a tile's
 *   zoomed view of a blurry photo otherwise fires on texture. Reported as model 'auto'. Without the back model it is
 *   the 128 pass alone (reported as 'front'). Measured recall: README "Faces found in photos".
 */
import type { Detection, RgbaImage } from '../core/types.ts';
import { overlapsFace } from '../core/detect/photo.ts';
import {
  BLAZEFACE,
  blazeFaceAnchors,
  decodeBlazeFace,
  weightedNonMaxSuppression,
  detectionToSource,
  mergeDetections,
  planPhotoTiles,
  tileToImage,
  touchesInnerEdge,
  type BlazeFaceModel,
  type Tile,
} from '../core/detect/index.ts';
import { rgbaToLetterboxTensor, validateRgbaImage } from '../core/image/letterbox-tensor.ts';
import type { InferenceBackend, InferenceSession, TensorData } from './backend.ts';
import { ModelLoadError } from './errors.ts';
import type { DetectorChoice } from '../options.ts';

export type { BlazeFaceModel } from '../core/detect/index.ts';
export { ModelLoadError } from './errors.ts';

/** The detection part of AnalysisOptions (src/options.ts). */
export interface DetectOptions {
  readonly detector?: DetectorChoice;
  /** Minimum face score in [0, 1]. Default 0.5 (MediaPipe's min_score_thresh). */
  readonly minScore?: number;
  /** Keep at most this many faces (best first). Default: all. */
  readonly maxFaces?: number;
}

export interface DetectTimings {
  /** Letterbox + normalise into the input tensor. */
  readonly preprocessMs: number;
  /** session.run (summed over the passes of 'auto'). */
  readonly runMs: number;
  /** Decode, NMS and mapping to source pixels. */
  readonly postprocessMs: number;
}

/** The model whose detections these are; 'auto' = both models (and tiles) merged. */
export interface DetectResult {
  /** Faces in source-image pixels, best score first. */
  readonly faces: Detection[];
  /** The model whose detections these are; 'auto' = both models (and tiles) merged. */
  readonly detector: DetectorChoice;
  /** Model runs this detection took (whole-image passes + tiles). */
  readonly passes: number;
  readonly timings: DetectTimings;
}

export interface FaceDetector {
  /** Models that were loaded ('front' always). */
  readonly models: readonly BlazeFaceModel[];
  detect(image: RgbaImage, options?: DetectOptions): Promise<DetectResult>;
  release(): Promise<void>;
}

export interface DetectorModelBytes {
  readonly front: Uint8Array;
  readonly back?: Uint8Array;
}

/** Where a host keeps the detector files; used in error messages. */
export const BLAZEFACE_DIR = 'public/models/blazeface';

export const DEFAULT_MIN_SCORE = 0.5;
const NMS_IOU = 0.3;

const now = (): number => performance.now();

async function openModel(
  backend: InferenceBackend,
  model: BlazeFaceModel,
  bytes: Uint8Array,
): Promise<InferenceSession> {
  const spec = BLAZEFACE[model];
  const file = `${BLAZEFACE_DIR}/${spec.file}`;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0)
    throw new ModelLoadError(file, 'the file is empty or missing');
  let session: InferenceSession;
  try {
    session = await backend.createSession(bytes);
  } catch (err) {
    throw new ModelLoadError(
      file,
      `the ${backend.provider} runtime rejected it (${(err as Error)?.message ?? err})`,
      undefined,
      { cause: err },
    );
  }
  const missing = [spec.inputName, ...spec.scoreOutputs, ...spec.boxOutputs].filter(
    (n) => !session.inputNames.includes(n) && !session.outputNames.includes(n),
  );
  if (missing.length > 0) {
    await session.release().catch(() => undefined);
    throw new ModelLoadError(file, `it is not the BlazeFace ${spec.inputSize} graph (missing ${missing.join(', ')})`);
  }
  return session;
}

function checkOptions(options: DetectOptions, loaded: readonly BlazeFaceModel[]): void {
  const { detector, minScore, maxFaces } = options;
  if (detector !== undefined && detector !== 'auto' && detector !== 'front' && detector !== 'back') {
    throw new Error(`Unknown detector '${String(detector)}': use 'front', 'back' or 'auto'`);
  }
  if (detector === 'back' && !loaded.includes('back')) throw new Error(`The 'back' detector model was not loaded`);
  if (minScore !== undefined && !(minScore >= 0 && minScore <= 1))
    throw new Error(`minScore must be in [0, 1], got ${minScore}`);
  if (maxFaces !== undefined && !(Number.isInteger(maxFaces) && maxFaces > 0)) {
    throw new Error(`maxFaces must be a positive integer, got ${maxFaces}`);
  }
}

export async function createFaceDetector(backend: InferenceBackend, models: DetectorModelBytes): Promise<FaceDetector> {
  const sessions = new Map<BlazeFaceModel, InferenceSession>();
  sessions.set('front', await openModel(backend, 'front', models.front));
  if (models.back !== undefined) {
    try {
      sessions.set('back', await openModel(backend, 'back', models.back));
    } catch (err) {
      await sessions
        .get('front')!
        .release()
        .catch(() => undefined);
      throw err;
    }
  }
  const loaded = [...sessions.keys()];
  // One input buffer per model, reused across frames; detect() calls are serialised so reuse is safe.
  const inputs = new Map<BlazeFaceModel, Float32Array>();
  let queue: Promise<unknown> = Promise.resolve();
  let released = false;

  /** A square around a detection, twice its size, shifted (and shrunk) to stay inside the image. */
  function verifyWindow(d: Detection, width: number, height: number): Tile {
    const size = Math.max(8, Math.min(width, height, Math.round(2 * Math.max(d.box.width, d.box.height))));
    const cx = d.box.x + d.box.width / 2,
      cy = d.box.y + d.box.height / 2;
    const x = Math.min(width - size, Math.max(0, Math.round(cx - size / 2)));
    const y = Math.min(height - size, Math.max(0, Math.round(cy - size / 2)));
    return { x, y, size };
  }

  /** A tile of `image` as its own RGBA image (rows copied). */
  function cropTile(image: RgbaImage, t: Tile): RgbaImage {
    const data = new Uint8ClampedArray(t.size * t.size * 4);
    for (let row = 0; row < t.size; row++) {
      const from = ((t.y + row) * image.width + t.x) * 4;
      data.set(image.data.subarray(from, from + t.size * 4), row * t.size * 4);
    }
    return { width: t.size, height: t.size, data };
  }

  /** Photo mode: 128 + 256 on the whole image, 256 on tiles of a large one, merged (see core/detect/photo.ts). */
  async function photoPasses(image: RgbaImage, minScore: number, maxFaces: number) {
    const runs = [await pass(image, 'front', minScore, Infinity), await pass(image, 'back', minScore, Infinity)];
    const whole = runs.flatMap((r) => r.faces);
    const found = [...whole];
    for (const tile of planPhotoTiles(image.width, image.height)) {
      const r = await pass(cropTile(image, tile), 'back', minScore, Infinity);
      runs.push(r);
      for (const d of r.faces) {
        const moved = tileToImage(d, tile);
        if (touchesInnerEdge(moved, tile, image.width, image.height)) continue;
        if (whole.some((w) => overlapsFace(moved, w))) {
          found.push(moved);
          continue;
        }
        // A face this big (≥ 16 px in the whole-image 256 input) is the whole-image passes' to find; seen only by
        // a zoomed-in tile it is texture, not a face (measured on upscaled photos: every such box was false).
        if (Math.max(moved.box.width, moved.box.height) > Math.max(image.width, image.height) / 16) continue;
        // Seen by a tile only: a zoomed-in view also fires on blurry texture, so the 128 model must confirm it on
        // a close crop (twice the box) — a real face fills that crop the way the 128 model is trained for.
        const check = verifyWindow(moved, image.width, image.height);
        const v = await pass(cropTile(image, check), 'front', minScore, Infinity);
        runs.push(v);
        if (v.faces.some((f) => overlapsFace(tileToImage(f, check), moved))) found.push(moved);
      }
    }
    const t0 = now();
    const faces = mergeDetections(found, { iouThreshold: NMS_IOU, maxDetections: maxFaces });
    const sum = (k: 'preprocessMs' | 'runMs' | 'postprocessMs') => runs.reduce((a, r) => a + r[k], 0);
    return {
      faces,
      passes: runs.length,
      preprocessMs: sum('preprocessMs'),
      runMs: sum('runMs'),
      postprocessMs: sum('postprocessMs') + now() - t0,
    };
  }

  async function pass(image: RgbaImage, model: BlazeFaceModel, minScore: number, maxFaces: number) {
    const spec = BLAZEFACE[model];
    const size = spec.inputSize;
    let input = inputs.get(model);
    if (!input) inputs.set(model, (input = new Float32Array(size * size * 3)));

    const t0 = now();
    const tensor = rgbaToLetterboxTensor(image, size, { out: input });
    const t1 = now();
    const feeds: Record<string, TensorData> = {
      [spec.inputName]: { type: 'float32', dims: tensor.dims, data: tensor.data },
    };
    const outputs = await sessions.get(model)!.run(feeds, [...spec.scoreOutputs, ...spec.boxOutputs]);
    const t2 = now();
    const pick = (name: string): Float32Array => {
      const t = outputs[name];
      if (!t || !(t.data instanceof Float32Array)) throw new Error(`BlazeFace ${model} returned no float32 '${name}'`);
      return t.data;
    };
    const candidates = decodeBlazeFace(
      spec.scoreOutputs.map(pick),
      spec.boxOutputs.map(pick),
      blazeFaceAnchors(model),
      {
        coordScale: spec.coordScale,
        numKeypoints: spec.numKeypoints,
        numCoords: spec.numCoords,
        minScore,
      },
    );
    const kept = weightedNonMaxSuppression(candidates, { iouThreshold: NMS_IOU, maxDetections: maxFaces });
    const faces = kept.map((d) => detectionToSource(d, tensor.letterbox));
    const t3 = now();
    return { faces, preprocessMs: t1 - t0, runMs: t2 - t1, postprocessMs: t3 - t2 };
  }

  async function detectNow(image: RgbaImage, options: DetectOptions): Promise<DetectResult> {
    if (released) throw new Error('The face detector was released');
    validateRgbaImage(image);
    checkOptions(options, loaded);
    const choice = options.detector ?? 'auto';
    const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
    const maxFaces = options.maxFaces ?? Infinity;
    if (choice === 'auto' && sessions.has('back')) {
      const r = await photoPasses(image, minScore, maxFaces);
      return {
        faces: r.faces,
        detector: 'auto',
        passes: r.passes,
        timings: { preprocessMs: r.preprocessMs, runMs: r.runMs, postprocessMs: r.postprocessMs },
      };
    }
    const model: BlazeFaceModel = choice === 'back' ? 'back' : 'front';
    const r = await pass(image, model, minScore, maxFaces);
    return {
      faces: r.faces,
      detector: model,
      passes: 1,
      timings: { preprocessMs: r.preprocessMs, runMs: r.runMs, postprocessMs: r.postprocessMs },
    };
  }

  return {
    models: loaded,
    detect(image, options = {}) {
      const run = queue.then(() => detectNow(image, options));
      queue = run.catch(() => undefined);
      return run;
    },
    async release() {
      released = true;
      await queue;
      for (const s of sessions.values()) await s.release();
      sessions.clear();
    },
  };
}
