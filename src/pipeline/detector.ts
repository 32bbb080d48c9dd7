/**
 * BlazeFace face detector over the InferenceBackend seam (no onnxruntime import: runs in the browser worker and
 * in Node alike). One pass = letterbox the RGBA image into the model's square input, run, decode against the
 * anchors, weighted NMS, map back to source pixels.
 *
 * Model choice:
 * - 'front' (128): near, large faces — use it for webcam video (fast, and what MediaPipe uses for selfies).
 * - 'back'  (256): smaller faces (photos, group shots), 2–3× the cost.
 * - 'auto' (default): run 'front'; if it finds nothing and the back model is loaded, run 'back' and report that.
 *   Single portraits stay on the cheap model; photos whose faces are too small for 128 still get detected.
 */
import type { Detection, RgbaImage } from '../core/types.ts';
import { BLAZEFACE, blazeFaceAnchors, decodeBlazeFace, weightedNonMaxSuppression, detectionToSource, type BlazeFaceModel } from '../core/detect/index.ts';
import { rgbaToLetterboxTensor, validateRgbaImage } from '../core/image/letterbox-tensor.ts';
import type { InferenceBackend, InferenceSession, TensorData } from './backend.ts';
import { ModelLoadError } from './errors.ts';

export type { BlazeFaceModel } from '../core/detect/index.ts';
export { ModelLoadError } from './errors.ts';

export type DetectorModelChoice = BlazeFaceModel | 'auto';

export interface DetectOptions {
  readonly model?: DetectorModelChoice;
  /** Minimum face score in [0, 1]. Default 0.5 (MediaPipe's min_score_thresh). */
  readonly minScore?: number;
  /** Keep at most this many faces (best first). Default: all. */
  readonly maxFaces?: number;
}

export interface DetectTimings {
  /** Letterbox + normalise into the input tensor. */
  readonly preprocessMs: number;
  /** session.run (summed over passes when 'auto' ran both models). */
  readonly runMs: number;
  /** Decode, NMS and mapping to source pixels. */
  readonly postprocessMs: number;
}

export interface DetectResult {
  /** Faces in source-image pixels, best score first. */
  readonly faces: Detection[];
  /** The model whose detections these are. */
  readonly model: BlazeFaceModel;
  readonly timings: DetectTimings;
}

export interface FaceDetector {
  /** Models that were loaded ('front' always). */
  readonly models: readonly BlazeFaceModel[];
  detect(image: RgbaImage, options?: DetectOptions): Promise<DetectResult>;
  release(): Promise<void>;
}

export interface DetectorModelBytes { readonly front: Uint8Array; readonly back?: Uint8Array }

/** Where a host keeps the detector files; used in error messages. */
export const BLAZEFACE_DIR = 'public/models/blazeface';

export const DEFAULT_MIN_SCORE = 0.5;
const NMS_IOU = 0.3;

const now = (): number => performance.now();

async function openModel(backend: InferenceBackend, model: BlazeFaceModel, bytes: Uint8Array): Promise<InferenceSession> {
  const spec = BLAZEFACE[model];
  const file = `${BLAZEFACE_DIR}/${spec.file}`;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new ModelLoadError(file, 'the file is empty or missing');
  let session: InferenceSession;
  try {
    session = await backend.createSession(bytes);
  } catch (err) {
    throw new ModelLoadError(file, `the ${backend.provider} runtime rejected it (${(err as Error)?.message ?? err})`, undefined, { cause: err });
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
  const { model, minScore, maxFaces } = options;
  if (model !== undefined && model !== 'auto' && model !== 'front' && model !== 'back') {
    throw new Error(`Unknown detector model '${String(model)}': use 'front', 'back' or 'auto'`);
  }
  if (model === 'back' && !loaded.includes('back')) throw new Error(`The 'back' detector model was not loaded`);
  if (minScore !== undefined && !(minScore >= 0 && minScore <= 1)) throw new Error(`minScore must be in [0, 1], got ${minScore}`);
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
      await sessions.get('front')!.release().catch(() => undefined);
      throw err;
    }
  }
  const loaded = [...sessions.keys()];
  // One input buffer per model, reused across frames; detect() calls are serialised so reuse is safe.
  const inputs = new Map<BlazeFaceModel, Float32Array>();
  let queue: Promise<unknown> = Promise.resolve();
  let released = false;

  async function pass(image: RgbaImage, model: BlazeFaceModel, minScore: number, maxFaces: number) {
    const spec = BLAZEFACE[model];
    const size = spec.inputSize;
    let input = inputs.get(model);
    if (!input) inputs.set(model, (input = new Float32Array(size * size * 3)));

    const t0 = now();
    const tensor = rgbaToLetterboxTensor(image, size, { out: input });
    const t1 = now();
    const feeds: Record<string, TensorData> = { [spec.inputName]: { type: 'float32', dims: tensor.dims, data: tensor.data } };
    const outputs = await sessions.get(model)!.run(feeds, [...spec.scoreOutputs, ...spec.boxOutputs]);
    const t2 = now();
    const pick = (name: string): Float32Array => {
      const t = outputs[name];
      if (!t || !(t.data instanceof Float32Array)) throw new Error(`BlazeFace ${model} returned no float32 '${name}'`);
      return t.data;
    };
    const candidates = decodeBlazeFace(spec.scoreOutputs.map(pick), spec.boxOutputs.map(pick), blazeFaceAnchors(model), {
      coordScale: spec.coordScale, numKeypoints: spec.numKeypoints, numCoords: spec.numCoords, minScore,
    });
    const kept = weightedNonMaxSuppression(candidates, { iouThreshold: NMS_IOU, maxDetections: maxFaces });
    const faces = kept.map((d) => detectionToSource(d, tensor.letterbox));
    const t3 = now();
    return { faces, preprocessMs: t1 - t0, runMs: t2 - t1, postprocessMs: t3 - t2 };
  }

  async function detectNow(image: RgbaImage, options: DetectOptions): Promise<DetectResult> {
    if (released) throw new Error('The face detector was released');
    validateRgbaImage(image);
    checkOptions(options, loaded);
    const choice = options.model ?? 'auto';
    const minScore = options.minScore ?? DEFAULT_MIN_SCORE;
    const maxFaces = options.maxFaces ?? Infinity;
    const first: BlazeFaceModel = choice === 'back' ? 'back' : 'front';
    let result = await pass(image, first, minScore, maxFaces);
    let model = first;
    let timings: DetectTimings = result;
    if (choice === 'auto' && result.faces.length === 0 && sessions.has('back')) {
      const second = await pass(image, 'back', minScore, maxFaces);
      timings = {
        preprocessMs: timings.preprocessMs + second.preprocessMs,
        runMs: timings.runMs + second.runMs,
        postprocessMs: timings.postprocessMs + second.postprocessMs,
      };
      result = second;
      model = 'back';
    }
    return {
      faces: result.faces,
      model,
      timings: { preprocessMs: timings.preprocessMs, runMs: timings.runMs, postprocessMs: timings.postprocessMs },
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
