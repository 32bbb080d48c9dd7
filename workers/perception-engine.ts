/**
 * The worker's engine: loads the detector on the best EP, turns frames and files into RGBA, runs the shared
 * pipeline and maps results back to source pixels. Only runtime glue lives here; detection logic is in the pipeline.
 */
import type { RgbaImage } from '../src/core/types.ts';
import { createFaceDetector, type FaceDetector } from '../src/pipeline/detector.ts';
import { createOrtWebBackend, type OrtWebBackend } from './ort-web/backend.ts';
import { fitWithin, MAX_ANALYSIS_SIDE, toSourcePixels } from './frame-size.ts';
import { DETECTOR_FILES, fetchModelFile, ModelFileError } from './model-files.ts';
import type {
  AnalysisOptions, EngineInit, EngineListener, EngineStatus, ImageAnalysis, PerceptionApi,
} from './perception-api.ts';

interface Loaded {
  readonly backend: OrtWebBackend;
  readonly detector: FaceDetector;
  readonly status: EngineStatus;
}

const now = () => performance.now();

/** What the engine needs from its host; injected so the fallback logic is tested in Node with onnxruntime-node. */
export interface EngineDeps {
  fetchModel(baseUrl: string, file: string): Promise<Uint8Array>;
  createBackend(options: { preference: EngineInit['preference']; probeModel: Uint8Array }): Promise<OrtWebBackend>;
}

const BROWSER_DEPS: EngineDeps = {
  fetchModel: (baseUrl, file) => fetchModelFile(baseUrl, file),
  createBackend: (options) => createOrtWebBackend(options),
};

export class PerceptionEngine implements PerceptionApi {
  private loading: Promise<Loaded> | null = null;
  private loadedPreference: EngineInit['preference'] | null = null;
  private options: EngineInit | null = null;
  private listener: EngineListener | undefined;
  private canvas: OffscreenCanvas | null = null;
  /** Why the last init failed: analyses asked for afterwards report it instead of a vague "not initialised". */
  private initError: Error | null = null;

  constructor(private readonly deps: EngineDeps = BROWSER_DEPS) {}

  async init(options: EngineInit, listener?: EngineListener): Promise<EngineStatus> {
    if (listener) this.listener = listener;
    if (this.loading && this.loadedPreference === options.preference && this.options?.baseUrl === options.baseUrl) {
      return (await this.loading).status;
    }
    this.options = options;
    this.loadedPreference = options.preference;
    this.initError = null;
    this.retire(this.loading);
    const loading = this.load(options, null);
    this.loading = loading;
    // A failed load must not stick: after `npm run setup:models` a retry has to work without reloading the worker.
    loading.catch((err: unknown) => {
      if (this.loading !== loading) return;
      this.loading = null;
      this.initError = err instanceof Error ? err : new Error(String(err));
    });
    return (await this.loading).status;
  }

  async analyzeFrame(frame: VideoFrame | ImageBitmap, options: AnalysisOptions = {}): Promise<ImageAnalysis> {
    const t0 = now();
    let ownsBuffer = false;
    try {
      const isVideoFrame = 'displayWidth' in frame;
      const width = isVideoFrame ? frame.displayWidth : frame.width;
      const height = isVideoFrame ? frame.displayHeight : frame.height;
      const converted = isVideoFrame ? await this.videoFrameToRgba(frame) : null;
      ownsBuffer = converted !== null && converted.image.data === this.frameBuffer;
      const { image, scale } = converted ?? this.toRgba(frame);
      return await this.detect(image, width, height, scale, { model: 'front', ...options }, now() - t0);
    } finally {
      frame.close();
      if (ownsBuffer) this.frameBufferBusy = false;
    }
  }

  private copyToRgbaWorks = true;
  private frameBuffer: Uint8Array | null = null;
  private frameBufferBusy = false;

  /**
   * VideoFrame.copyTo with format 'RGBA' converts YUV→RGBA in one native pass, much cheaper than drawing into a
   * canvas and reading it back. Returns null (→ canvas path) where the browser cannot convert, or the frame is
   * rotated/cropped/too large.
   */
  private async videoFrameToRgba(frame: VideoFrame): Promise<{ image: RgbaImage; scale: number } | null> {
    if (!this.copyToRgbaWorks) return null;
    const { displayWidth: w, displayHeight: h } = frame;
    if (fitWithin(w, h).scale !== 1 || frame.codedWidth !== w || frame.codedHeight !== h) return null;
    // Reuse one buffer across frames; a caller that overlaps frames (the app never does) gets a fresh one.
    const bytes = w * h * 4;
    const owned = !this.frameBufferBusy;
    const buffer = owned && this.frameBuffer?.byteLength === bytes ? this.frameBuffer : new Uint8Array(bytes);
    if (owned) { this.frameBuffer = buffer; this.frameBufferBusy = true; }
    try {
      await frame.copyTo(buffer, { format: 'RGBA', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
      return { image: { width: w, height: h, data: buffer }, scale: 1 };
    } catch {
      if (owned) this.frameBufferBusy = false;
      this.copyToRgbaWorks = false;
      return null;
    }
  }

  async analyzeImage(file: Blob, options: AnalysisOptions = {}): Promise<ImageAnalysis> {
    const t0 = now();
    const name = (file as File).name ? `"${(file as File).name}"` : 'the file';
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      throw new Error(`${name} is not an image this browser can decode (type: ${file.type || 'unknown'}, ${file.size} bytes)`);
    }
    try {
      const { image, scale } = this.toRgba(bitmap);
      return await this.detect(image, bitmap.width, bitmap.height, scale, { model: 'auto', ...options }, now() - t0);
    } finally {
      bitmap.close();
    }
  }

  /** Raw RGBA pixels (already in memory): no decode, no downscale beyond the analysis cap. */
  async analyzePixels(image: RgbaImage, options: AnalysisOptions = {}): Promise<ImageAnalysis> {
    const size = fitWithin(image.width, image.height);
    if (size.scale !== 1) throw new Error(`analyzePixels takes images up to ${MAX_ANALYSIS_SIDE} px on the long side; downscale first`);
    return this.detect(image, image.width, image.height, 1, { model: 'auto', ...options }, 0);
  }

  private async detect(image: RgbaImage, width: number, height: number, scale: number, options: AnalysisOptions,
    decodeMs: number, retried = false): Promise<ImageAnalysis> {
    const loading = this.loading;
    if (!loading) throw this.initError ?? new Error('the engine is not initialised (call init first)');
    const loaded = await loading;
    const model = options.model === 'back' && !loaded.status.detectorModels.includes('back') ? 'front' : options.model;
    const t0 = now();
    try {
      const result = await loaded.detector.detect(image, { ...options, model });
      const totalMs = decodeMs + (now() - t0);
      return {
        width, height, scale,
        faces: toSourcePixels(result.faces, scale),
        detectorModel: result.model,
        provider: loaded.status.provider,
        timings: { decodeMs, ...result.timings, totalMs },
      };
    } catch (err) {
      if (retried) throw err;
      // The engine was replaced while this ran (setting changed, or another call already fell back): use the new one.
      if (this.loading !== loading && this.loading) return this.detect(image, width, height, scale, options, decodeMs, true);
      // A WebGPU run that fails (device lost, driver reset) falls back to WASM once; WASM errors are real errors.
      if (loaded.status.provider !== 'webgpu') throw err;
      await this.fallBackToWasm(`WebGPU failed while running (${err instanceof Error ? err.message : String(err)})`);
      return this.detect(image, width, height, scale, options, decodeMs, true);
    }
  }

  private async fallBackToWasm(reason: string): Promise<void> {
    if (!this.options) return;
    this.loadedPreference = 'wasm';
    this.retire(this.loading);
    this.loading = this.load({ ...this.options, preference: 'wasm' }, reason);
    const { status } = await this.loading;
    this.listener?.(status, `${reason}; now running on WASM`);
  }

  /** Releases a replaced detector's sessions once its in-flight runs are done (the detector waits for them). */
  private retire(previous: Promise<Loaded> | null): void {
    void previous?.then((old) => old.detector.release()).catch(() => undefined);
  }

  private async load(options: EngineInit, forcedReason: string | null): Promise<Loaded> {
    const front = await this.deps.fetchModel(options.baseUrl, DETECTOR_FILES.front);
    const warnings: string[] = [];
    const back = await this.deps.fetchModel(options.baseUrl, DETECTOR_FILES.back).catch((err: Error) => {
      warnings.push(`${err.message} Until then photos use the 128 model, which misses small faces.`);
      return undefined;
    });
    let backend: OrtWebBackend;
    try {
      backend = await this.deps.createBackend({ preference: options.preference, probeModel: front });
    } catch (err) {
      throw new ModelFileError(DETECTOR_FILES.front, `could not be loaded (${err instanceof Error ? err.message : String(err)})`);
    }
    let detector: FaceDetector;
    try {
      detector = await createFaceDetector(backend, back ? { front, back } : { front });
    } catch (err) {
      // The 256 model is optional: without it, photos use the 128 model. The 128 model failing is fatal.
      if (!back) throw err;
      warnings.push(`${err instanceof Error ? err.message : String(err)} Until then photos use the 128 model.`);
      detector = await createFaceDetector(backend, { front });
    }
    const status: EngineStatus = {
      provider: backend.provider,
      fallbackReason: forcedReason ?? backend.fallbackReason,
      detectorModels: detector.models,
      warnings,
    };
    if (backend.provider === 'webgpu') {
      backend.onDeviceLost((reason) => { void this.fallBackToWasm(`the WebGPU device was lost (${reason})`); });
    }
    return { backend, detector, status };
  }

  /** Copies a bitmap into RGBA pixels, downscaling very large images (see frame-size.ts). */
  private toRgba(bitmap: ImageBitmap | VideoFrame): { image: RgbaImage; scale: number } {
    const size = 'displayWidth' in bitmap ? fitWithin(bitmap.displayWidth, bitmap.displayHeight) : fitWithin(bitmap.width, bitmap.height);
    if (!this.canvas) this.canvas = new OffscreenCanvas(size.width, size.height);
    const canvas = this.canvas;
    if (canvas.width !== size.width || canvas.height !== size.height) {
      canvas.width = size.width;
      canvas.height = size.height;
    }
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('this browser cannot create a 2D OffscreenCanvas in a worker');
    ctx.drawImage(bitmap, 0, 0, size.width, size.height);
    const data = ctx.getImageData(0, 0, size.width, size.height).data;
    return { image: { width: size.width, height: size.height, data }, scale: size.scale };
  }
}
