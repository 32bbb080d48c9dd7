/**
 * The one facade of Faceptor Web: a face detector plus an optional Faceptor model behind two calls, like MediaPipe's
 * `detect` / `detectForVideo`:
 * - `analyze(image)`: a still image, every face on its own (default detector 'auto');
 * - `analyzeVideoFrame(frame, timestampMs)`: frames of one stream, tracked — faces keep a `trackId`, boxes,
 *   keypoints and landmarks are smoothed, and the 512 tasks are refreshed per track at the rate the device allows
 *   (default detector 'front'; src/pipeline/video.ts).
 *
 * The Node CLI, the library and the browser worker all run this object; hosts only turn their inputs into RGBA
 * pixels, own the runtime (`InferenceBackend`: onnxruntime-node, or onnxruntime-web with its EP fallback) and choose
 * the model package. Options and results are the contracts in src/options.ts and src/result.ts.
 *
 * The model can be swapped while analyses run (`setModel`): a replaced model the facade owns is released only once
 * the analyses using it are done (a frame may be halfway between two graph runs).
 *
 * @example
 * ```ts
 * const faceptor = await createFaceptor({
 *   backend: createNodeBackend(), detectorModels: await loadBlazeFaceModels(), model: folderPackageSource('models/full'),
 * });
 * const photo = await faceptor.analyze(await loadImageFile('face.jpg'), { tasks: ['landmarks', 'age'] });
 * photo.faces[0].landmarks?.['300w']?.points; // [x, y] in image pixels
 * for (const [timestampMs, frame] of frames) (await faceptor.analyzeVideoFrame(frame, timestampMs)).faces[0]?.trackId;
 * await faceptor.dispose();
 * ```
 */
import type { RgbaImage } from './core/types.ts';
import type { AnalysisOptions, SourceInfo } from './options.ts';
import type { ExecutionProvider, ImageAnalysis } from './result.ts';
import type { InferenceBackend } from './pipeline/backend.ts';
import { createFaceDetector, type DetectorModelBytes, type FaceDetector } from './pipeline/detector.ts';
import { analyzeImage, type AnalyzeOptions } from './pipeline/analyze.ts';
import { VideoAnalyzer, type VideoAnalyzerOptions } from './pipeline/video.ts';
import { FaceptorModel } from './pipeline/faceptor/model.ts';
import { loadFaceptorPackage, type LoadPackageOptions } from './pipeline/faceptor/package.ts';
import type { ModelPackageSource } from './pipeline/faceptor/source.ts';
import { Lease } from './pipeline/lease.ts';

export interface FaceptorOptions {
  readonly backend: InferenceBackend;
  /**
   * The face detector: BlazeFace ONNX bytes (front 128 required, back 256 optional), or a detector the host already
   * made on `backend` (the facade then releases it on dispose()).
   */
  readonly detectorModels: DetectorModelBytes | FaceDetector;
  /**
   * Optional Faceptor model: a loaded FaceptorModel (the caller keeps ownership), or a package source that is
   * loaded and verified here (released by dispose()). Without it, only faces are detected.
   */
  readonly model?: FaceptorModel | ModelPackageSource;
  readonly loadOptions?: LoadPackageOptions;
  /** Defaults for every call; per-call options override them. */
  readonly defaults?: AnalysisOptions;
  /** Tracking and 512-refresh scheduling of the video mode. */
  readonly video?: VideoAnalyzerOptions;
}

/** Per-call options plus what the host knows about the pixels (decode time, original size of a downscaled copy). */
export type AnalyzeCallOptions = AnalysisOptions & SourceInfo;

interface HeldModel {
  readonly lease: Lease<FaceptorModel>;
  /** Released by the facade once replaced (and idle), or on dispose(). */
  readonly owned: boolean;
}

const isDetector = (d: DetectorModelBytes | FaceDetector): d is FaceDetector => 'detect' in d;

export class Faceptor {
  readonly provider: ExecutionProvider;
  private held: HeldModel | null = null;
  private readonly video: VideoAnalyzer;
  private disposed = false;

  private constructor(
    readonly backend: InferenceBackend,
    readonly detector: FaceDetector,
    private readonly defaults: AnalysisOptions,
    videoOptions: VideoAnalyzerOptions | undefined,
  ) {
    this.provider = backend.provider;
    this.video = new VideoAnalyzer(detector, backend.provider, videoOptions);
  }

  static async create(options: FaceptorOptions): Promise<Faceptor> {
    const { backend, detectorModels } = options;
    const detector = isDetector(detectorModels) ? detectorModels : await createFaceDetector(backend, detectorModels);
    const faceptor = new Faceptor(backend, detector, options.defaults ?? {}, options.video);
    try {
      if (options.model instanceof FaceptorModel) faceptor.setModel(options.model, { owned: false });
      else if (options.model)
        faceptor.setModel(await loadFaceptorPackage(options.model, backend, options.loadOptions), { owned: true });
    } catch (err) {
      await detector.release();
      throw err;
    }
    return faceptor;
  }

  /** The Faceptor model analyses use now (undefined: detection only). */
  get model(): FaceptorModel | undefined {
    return this.held?.lease.value;
  }

  /**
   * Makes `model` (loaded on this facade's backend) the one analyses use from the next call on; undefined drops it.
   * The video tracks are reset, since they carry the old model's 512 results. A replaced model the facade owned is
   * released once the analyses using it are done.
   */
  setModel(model: FaceptorModel | undefined, { owned = true }: { readonly owned?: boolean } = {}): void {
    this.checkOpen();
    const previous = this.held;
    this.held = model ? { lease: new Lease(model), owned } : null;
    if (previous && previous.lease.value !== model) retire(previous);
    this.video.reset();
  }

  /** A still image: every face analysed on its own; no tracks. */
  analyze(image: RgbaImage, options: AnalyzeCallOptions = {}): Promise<ImageAnalysis> {
    return this.run(options, 'auto', (request) => analyzeImage(this.detector, this.provider, image, request));
  }

  /**
   * One frame of a video stream, `timestampMs` from the stream's clock (monotonic): faces are tracked across calls.
   * Call resetVideo() when the stream changes (another camera or file).
   */
  analyzeVideoFrame(frame: RgbaImage, timestampMs: number, options: AnalyzeCallOptions = {}): Promise<ImageAnalysis> {
    return this.run(options, 'front', (request) => this.video.analyze(frame, { ...request, timestampMs }));
  }

  /** Forgets the video tracks: the next frame starts new ones. */
  resetVideo(): void {
    this.video.reset();
  }

  /** Current 512 refresh interval per track in the video mode (ms; 0 = every frame), for hosts' status lines. */
  denseIntervalMs(faces: number): number {
    return this.video.denseIntervalMs(faces);
  }

  /** Releases the detector and an owned model once the analyses in flight are done. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const held = this.held;
    this.held = null;
    await this.detector.release();
    if (held) await retire(held);
  }

  private async run(
    perCall: AnalyzeCallOptions,
    defaultDetector: NonNullable<AnalysisOptions['detector']>,
    analyse: (request: AnalyzeOptions) => Promise<ImageAnalysis>,
  ): Promise<ImageAnalysis> {
    this.checkOpen();
    const { detector, minScore, maxFaces, tasks, denseCrops, layerAttention, decodeMs, sourceSize } = {
      ...this.defaults,
      ...perCall,
    };
    const request: AnalyzeOptions = {
      // A photo asked for the 256 model on a host where it failed to load: the 128 model rather than an error.
      detector: this.detectorOrFallback(detector ?? defaultDetector),
      minScore,
      maxFaces,
      decodeMs,
      sourceSize,
    };
    const held = this.held;
    const detectionOnly = !held || tasks === false || (Array.isArray(tasks) && tasks.length === 0);
    if (detectionOnly) return analyse(request);
    return held.lease.use((model) =>
      analyse({ ...request, faceptor: { model, tasks: tasks || 'default', denseCrops, layerAttention } }),
    );
  }

  private detectorOrFallback(
    choice: NonNullable<AnalysisOptions['detector']>,
  ): NonNullable<AnalysisOptions['detector']> {
    return choice === 'back' && !this.detector.models.includes('back') ? 'front' : choice;
  }

  private checkOpen(): void {
    if (this.disposed) throw new Error('this Faceptor was disposed');
  }
}

/** Creates the facade (detector, and the model package when given). */
export function createFaceptor(options: FaceptorOptions): Promise<Faceptor> {
  return Faceptor.create(options);
}

/** Releases a replaced model's sessions once the analyses using it are done (never a model the caller owns). */
function retire(held: HeldModel): Promise<void> {
  if (!held.owned) return Promise.resolve();
  return held.lease
    .idle()
    .then(() => held.lease.value.release())
    .catch(() => undefined);
}
