/**
 * The worker's engine: a thin host of the library's facade (src/faceptor.ts). It turns frames and files into RGBA
 * pixels, owns the runtime (EP choice, WebGPU → WASM fallback, one Faceptor per backend) and the model packages
 * (load → verify → hand to the facade, re-bind after an EP change, the Cache API). Detection, tracking and the
 * Faceptor tasks are the facade's: `analyze` for photos, `analyzeVideoFrame` for camera frames.
 */
import type { ImageAnalysis } from '../src/result.ts';
import type { AnalysisOptions } from '../src/options.ts';
import type { RgbaImage } from '../src/core/types.ts';
import { createFaceDetector, type FaceDetector } from '../src/pipeline/detector.ts';
import type { FaceptorModel } from '../src/pipeline/faceptor/model.ts';
import { createFaceptor, type Faceptor } from '../src/faceptor.ts';
import { createOrtWebBackend, type OrtWebBackend } from './ort-web/backend.ts';
import { fitWithin, MAX_ANALYSIS_SIDE } from './frame-size.ts';
import { checkImageSize, readImageHeader } from '../src/core/image/header.ts';
import { compositeOnBlack } from '../src/core/image/alpha.ts';
import { browserCaches, clearModelCacheStorage, modelCacheStats, type CacheStorageLike } from './model-cache.ts';
import { DETECTOR_FILES, fetchModelFile, ModelFileError } from './model-files.ts';
import { loadModelPackage } from './model-loader.ts';
import { filesPackageSource, urlPackageSource, type FetchLike } from './model-package-source.ts';
import { throttleProgress } from './progress-throttle.ts';
import { CodedError, errorInfo } from '../src/core/errors.ts';
import { storedPackageSource } from './stored-package-source.ts';
import type {
  EngineInit,
  EngineListener,
  EngineStatus,
  ModelCacheInfo,
  ModelLoadProgress,
  ModelSource,
  ModelStatus,
  PerceptionApi,
} from './perception-api.ts';

/** Enough of a file to find its declared size (a JPEG's frame header follows at most a few 64 KiB metadata segments). */
const HEADER_BYTES = 1 << 20;

interface Loaded {
  readonly backend: OrtWebBackend;
  /** The facade on this backend; disposed (after its in-flight analyses) when the backend is replaced. */
  readonly faceptor: Faceptor;
  readonly status: EngineStatus;
}

/**
 * The Faceptor model the engine holds: its latest binding and the backend that binding runs on. The facade of that
 * backend owns the binding (releases it when replaced or disposed); a new backend gets a re-bound copy.
 */
interface HeldModel {
  readonly model: FaceptorModel;
  readonly backend: OrtWebBackend;
  readonly status: ModelStatus;
  readonly source: ModelSource;
}

/** What the status bar and model panel say of where a model came from. */
function originOf(source: ModelSource): string {
  if (source.kind === 'url') return source.url;
  if (source.kind === 'files') return `dropped folder ${source.name}`;
  return source.sourceSha256
    ? `exported in this browser from ${source.sourceFile}, sha256 ${source.sourceSha256.slice(0, 12)}…`
    : // Names the folder: with no sha256 yet, the origin is what tells two such packages apart.
      `exported in this browser from ${source.sourceFile}, sha256 not recorded (stored as ${source.id})`;
}

const now = () => performance.now();

/** What the engine needs from its host; injected so the fallback logic is tested in Node with onnxruntime-node. */
export interface EngineDeps {
  fetchModel(baseUrl: string, file: string): Promise<Uint8Array>;
  createBackend(options: {
    preference: EngineInit['preference'];
    probeModel: Uint8Array;
    wasmThreads?: number | null;
  }): Promise<OrtWebBackend>;
  /** fetch for model packages (default: the global fetch). */
  readonly fetchPackage?: FetchLike;
  /** The Cache API for model packages (default: the browser's `caches`; null: no caching). */
  readonly modelCaches?: () => CacheStorageLike | null;
}

const BROWSER_DEPS: EngineDeps = {
  fetchModel: (baseUrl, file) => fetchModelFile(baseUrl, file),
  createBackend: (options) => createOrtWebBackend(options),
  modelCaches: browserCaches,
};

/** Frame time for the video tracker: the capture timestamp (µs) when the frame has one, else now. */
function frameTimestampMs(frame: VideoFrame | ImageBitmap): number {
  const ts = 'timestamp' in frame ? frame.timestamp : null;
  return typeof ts === 'number' && Number.isFinite(ts) ? ts / 1000 : now();
}

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
    this.rebindWhenLoaded(loading);
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
      const { image } = converted ?? this.toRgba(frame);
      const timestampMs = frameTimestampMs(frame);
      return await this.analyze(image, { width, height }, options, now() - t0, timestampMs);
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
    if (owned) {
      this.frameBuffer = buffer;
      this.frameBufferBusy = true;
    }
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
    const sizeRule = (width: number, height: number) => {
      try {
        checkImageSize(width, height);
      } catch (err) {
        throw new CodedError('image-file', `${name}: ${(err as Error).message}`, {
          file: (file as File).name || undefined,
        });
      }
    };
    // The declared size is read from the header BEFORE decoding (the same rule and message as the CLI): a 1 MB PNG
    // declaring 20000×20000 must not make the browser allocate 1.6 GB first. Formats whose header is not read here
    // (AVIF, HEIC …) are checked right after decoding.
    const header = readImageHeader(new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer()));
    if (header?.width !== undefined && header.height !== undefined) sizeRule(header.width, header.height);
    let bitmap: ImageBitmap;
    try {
      // EXIF rotation applied, as the <img> on the card shows it (CSS image-orientation defaults to from-image).
      bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      throw new CodedError(
        'image-file',
        `${name} is not an image this browser can decode (type: ${file.type || 'unknown'}, ${file.size} bytes)`,
        { file: (file as File).name || undefined },
      );
    }
    try {
      sizeRule(bitmap.width, bitmap.height);
      const { image } = this.toRgba(bitmap);
      // The one alpha rule of the app and the CLI (toRgba drew on black already; this makes the rule explicit).
      compositeOnBlack(image.data);
      return await this.analyze(image, { width: bitmap.width, height: bitmap.height }, options, now() - t0, null);
    } finally {
      bitmap.close();
    }
  }

  /** Raw RGBA pixels (already in memory): no decode, no downscale beyond the analysis cap. */
  async analyzePixels(image: RgbaImage, options: AnalysisOptions = {}): Promise<ImageAnalysis> {
    const size = fitWithin(image.width, image.height);
    if (size.scale !== 1)
      throw new Error(`analyzePixels takes images up to ${MAX_ANALYSIS_SIDE} px on the long side; downscale first`);
    return this.analyze(image, { width: image.width, height: image.height }, options, 0, null);
  }

  /**
   * One analysis through the shared pipeline: `image` is what the detector sees (maybe a downscaled copy), results
   * come back in `source` pixels. `timestampMs` set = a video frame (tracked), null = a still image.
   */
  private async analyze(
    image: RgbaImage,
    source: { width: number; height: number },
    options: AnalysisOptions,
    decodeMs: number,
    timestampMs: number | null,
    retried = false,
  ): Promise<ImageAnalysis> {
    const loading = this.loading;
    if (!loading) throw this.initError ?? new Error('the engine is not initialised (call init first)');
    const loaded = await loading;
    const faceptor = this.bind(loaded);
    const call = { ...options, decodeMs, sourceSize: source };
    try {
      return timestampMs === null
        ? await faceptor.analyze(image, call)
        : await faceptor.analyzeVideoFrame(image, timestampMs, call);
    } catch (err) {
      if (retried) throw err;
      // The engine was replaced while this ran (setting changed, or another call already fell back): use the new one.
      if (this.loading !== loading && this.loading)
        return this.analyze(image, source, options, decodeMs, timestampMs, true);
      // A WebGPU run that fails (device lost, driver reset) falls back to WASM once; WASM errors are real errors, and
      // so is anything with a code (a task the model lacks, a bad option): the caller's, whatever the EP.
      if (loaded.status.provider !== 'webgpu' || errorInfo(err).code !== 'internal') throw err;
      await this.fallBackToWasm(`WebGPU failed while running (${err instanceof Error ? err.message : String(err)})`);
      return this.analyze(image, source, options, decodeMs, timestampMs, true);
    }
  }

  // ---- Faceptor model lifecycle ----

  private held: HeldModel | null = null;
  /** Loads/unloads one at a time, in call order (a later load replaces an earlier one). */
  private modelQueue: Promise<unknown> = Promise.resolve();

  private async ready(): Promise<Loaded> {
    if (!this.loading) throw this.initError ?? new Error('the engine is not initialised (call init first)');
    return this.loading;
  }

  /**
   * The facade of this backend, holding the current model. After an EP switch or a fallback the model is re-bound
   * (same verified bytes, no re-read, no re-hash; sessions reopen lazily on the new EP); the old binding is released
   * with the old backend's facade, once its in-flight analyses are done.
   */
  private bind(loaded: Loaded): Faceptor {
    const held = this.held;
    if (held && held.backend !== loaded.backend) {
      const model = held.model.rebind(loaded.backend);
      loaded.faceptor.setModel(model);
      this.held = { ...held, model, backend: loaded.backend };
    }
    return loaded.faceptor;
  }

  /** Re-binds eagerly once a new backend is up, so the old EP's sessions (GPU memory) go right away. */
  private rebindWhenLoaded(loading: Promise<Loaded>): void {
    loading.then(
      (loaded) => {
        if (this.loading === loading) this.bind(loaded);
      },
      () => undefined,
    );
  }

  loadModel(source: ModelSource, onProgress?: (progress: ModelLoadProgress) => void): Promise<ModelStatus> {
    return this.serialised(() => this.loadModelNow(source, onProgress));
  }

  private async loadModelNow(
    source: ModelSource,
    onProgress?: (progress: ModelLoadProgress) => void,
  ): Promise<ModelStatus> {
    const loaded = await this.ready();
    const packageSource =
      source.kind === 'url'
        ? urlPackageSource(source.url, { fetch: this.deps.fetchPackage, caches: this.deps.modelCaches?.() ?? null })
        : source.kind === 'stored'
          ? storedPackageSource(source.id)
          : filesPackageSource(source.files, source.name, source.paths);
    // Verified into a NEW model: a refused package (ModelPackageError, message names the problem) changes nothing.
    const model = await loadModelPackage(packageSource, loaded.backend, onProgress && throttleProgress(onProgress));
    const status: ModelStatus = {
      info: model.info,
      origin: originOf(source),
      hasLayerAttention: model.hasLayerAttentionWeights,
      bytes: model.manifest.files.reduce((sum, f) => sum + f.size, 0),
    };
    // The facade releases the previous model once its analyses are done, and resets the tracks (they carry the old
    // model's 512 results).
    this.bind(loaded).setModel(model);
    this.held = { model, backend: loaded.backend, status, source };
    return status;
  }

  recordSourceSha256(storedId: string, sha256: string): Promise<ModelStatus | null> {
    // After the loads asked before it: the model it patches is then the one the page shows.
    return this.serialised(async () => {
      const held = this.held;
      if (!held || held.source.kind !== 'stored' || held.source.id !== storedId) return null;
      held.model.recordSourceSha256(sha256);
      const source: ModelSource = { ...held.source, sourceSha256: sha256 };
      const status: ModelStatus = { ...held.status, info: held.model.info, origin: originOf(source) };
      this.held = { ...held, status, source };
      return status;
    });
  }

  unloadModel(): Promise<void> {
    return this.serialised(async () => {
      this.held = null;
      const loaded = await this.loading?.catch(() => null);
      loaded?.faceptor.setModel(undefined);
    });
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const result = this.modelQueue.then(work);
    this.modelQueue = result.catch(() => undefined);
    return result;
  }

  modelCacheInfo(): Promise<ModelCacheInfo> {
    return modelCacheStats(this.deps.modelCaches?.() ?? null);
  }

  clearModelCache(): Promise<ModelCacheInfo> {
    return clearModelCacheStorage(this.deps.modelCaches?.() ?? null);
  }

  async resetVideo(): Promise<void> {
    const loaded = await this.loading?.catch(() => null);
    loaded?.faceptor.resetVideo();
  }

  /**
   * A lost WebGPU device is a failure only while its backend is the one in use. Switching EP (choosing WASM) retires
   * the WebGPU backend, and ORT destroys its device on the way: that loss is the switch the user asked for, not an
   * error to report or to "fall back" from (issue 12 #2).
   */
  private async onDeviceLost(backend: OrtWebBackend, reason: string): Promise<void> {
    const current = await this.loading?.catch(() => null);
    if (current?.backend !== backend) return;
    await this.fallBackToWasm(`the WebGPU device was lost (${reason})`);
  }

  private async fallBackToWasm(reason: string): Promise<void> {
    if (!this.options) return;
    this.loadedPreference = 'wasm';
    this.retire(this.loading);
    const loading = this.load({ ...this.options, preference: 'wasm' }, reason);
    this.loading = loading;
    this.rebindWhenLoaded(loading);
    const { status } = await loading;
    this.listener?.(status, `${reason}; now running on WASM`);
  }

  /** Releases a replaced backend's facade (detector and model binding) once its in-flight analyses are done. */
  private retire(previous: Promise<Loaded> | null): void {
    void previous?.then((old) => old.faceptor.dispose()).catch(() => undefined);
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
      backend = await this.deps.createBackend({
        preference: options.preference,
        probeModel: front,
        wasmThreads: options.wasmThreads,
      });
    } catch (err) {
      throw new ModelFileError(
        DETECTOR_FILES.front,
        `could not be loaded (${err instanceof Error ? err.message : String(err)})`,
      );
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
      wasmThreads: backend.wasmThreads,
      shaderF16: backend.shaderF16,
      detectorModels: detector.models,
      warnings,
    };
    if (backend.provider === 'webgpu') {
      backend.onDeviceLost((reason) => {
        void this.onDeviceLost(backend, reason);
      });
    }
    return { backend, faceptor: await createFaceptor({ backend, detectorModels: detector }), status };
  }

  /** Copies a bitmap into RGBA pixels, downscaling very large images (see frame-size.ts). */
  private toRgba(bitmap: ImageBitmap | VideoFrame): { image: RgbaImage; scale: number } {
    const size =
      'displayWidth' in bitmap
        ? fitWithin(bitmap.displayWidth, bitmap.displayHeight)
        : fitWithin(bitmap.width, bitmap.height);
    if (!this.canvas) this.canvas = new OffscreenCanvas(size.width, size.height);
    const canvas = this.canvas;
    if (canvas.width !== size.width || canvas.height !== size.height) {
      canvas.width = size.width;
      canvas.height = size.height;
    }
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('this browser cannot create a 2D OffscreenCanvas in a worker');
    // The canvas is reused: without this a transparent image would be drawn over the previous one. Black is the
    // shared alpha rule (src/core/image/alpha.ts).
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, size.width, size.height);
    ctx.drawImage(bitmap, 0, 0, size.width, size.height);
    const data = ctx.getImageData(0, 0, size.width, size.height).data;
    return { image: { width: size.width, height: size.height, data }, scale: size.scale };
  }
}
