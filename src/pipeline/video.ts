/**
 * Video analysis: per-frame detection + Faceptor tasks with face tracks. Faces keep a stable id, boxes, keypoints
 * and landmarks are smoothed (no jitter on a still face), and the expensive 512 pass (landmarks, parsing) is
 * refreshed per track at a lower rate when it would eat more than its share of the frame budget; in between, a
 * track carries its last dense results, moved with the face.
 *
 * Per frame:
 * 1. detect, map the detections to source pixels, `FaceTracker.update` (IoU association + One Euro smoothing).
 *    The output lists only the tracks MATCHED on this frame: a coasting track (face lost for a few frames) keeps
 *    its id inside the tracker, so it is picked up again if the face returns, but is not drawn — a face that left
 *    disappears promptly instead of leaving a frozen box behind.
 * 2. Faceptor crops are aligned from the SMOOTHED keypoints, so a still face gives still crops and still outputs.
 *    The 112 tasks run for all faces every frame (one batch). The 512 tasks run only for the tracks
 *    `pickDenseRefresh` picks (new tracks first, then round-robin), at most `maxDensePerFrame` per frame, each
 *    track no more often than `denseRefreshIntervalMs` allows for the measured cost. A track's first 512 pass
 *    is on the frame after the first one with Faceptor tasks for it (the face just appeared, or the model just
 *    arrived), unless the 512 pass is known to fit every frame: the face's 112 results are not held back by it.
 * 3. Tracks not refreshed carry their last landmarks and parsing: landmarks are moved by the similarity between
 *    the keypoints of the dense pass and the current ones; parsing masks keep their pixels and get
 *    `denseTransform` (the same similarity) for the overlay to draw them where the face is now.
 *
 * Result fields: `tasks` is the request resolved against the package (as in analyzeImage, so it does not flicker
 * between refresh and carry frames); `runs` and `timings.faceptor` count what actually ran on this frame (both
 * calls summed).
 *
 * Landmark smoothing happens in the track's own face frame (the keypoints of its first frame): fresh landmarks
 * are mapped there, filtered with the tracker's per-track point filters, and mapped out with the current
 * keypoints. Face motion is thus handled by the (smoothed) keypoints alone, and the landmark filter only sees
 * what the model changes between passes — so a pass after a long carried stretch is not dragged back towards
 * where the face used to be.
 */
import type { Point, RgbaImage } from '../core/types.ts';
import { TASKS, type TaskName } from '../core/faceptor/tasks.ts';
import { DEFAULT_TRACKER_OPTIONS, FaceTracker, type TrackedFace, type TrackerOptions } from '../core/track/tracker.ts';
import { denseRefreshIntervalMs, pickDenseRefresh } from '../core/track/schedule.ts';
import { applySimilarity, fitSimilarity, type Similarity } from '../core/track/carry.ts';
import type { FaceDetector } from './detector.ts';
import { zeroFaceptorTimings, type RunTally, type TimingsTally } from './faceptor/model.ts';
import { assembleAnalysis, rescaleFace, type AnalyzeOptions } from './analyze.ts';
import type {
  ExecutionProvider,
  FaceAnalysis,
  FaceTaskResults,
  FaceptorTimings,
  ImageAnalysis,
  LandmarkSetResult,
  ParsingResult,
  RunCounts,
} from '../result.ts';

export interface VideoAnalyzerOptions {
  /** Upper share of the frame time the 512 pass may take before it is refreshed less often. Default 0.5. */
  readonly maxDenseShare?: number;
  /** At most this many tracks get a 512 pass per frame. Default 1. */
  readonly maxDensePerFrame?: number;
  /** Tracker association/smoothing parameters (defaults: DEFAULT_TRACKER_OPTIONS). */
  readonly tracker?: Partial<TrackerOptions>;
  /**
   * Clock (ms) that measures the 512 pass: read once before and once after each dense call. Default
   * `performance.now`; tests script it to play a slow or fast device.
   */
  readonly now?: () => number;
}

export interface VideoFrameOptions extends AnalyzeOptions {
  /** Frame timestamp in ms (monotonic). */
  readonly timestampMs: number;
}

/** Last 512 results of one track, in source pixels. */
interface DenseState {
  readonly timeMs: number;
  /** Dense tasks + framing they were computed with; a different request invalidates them. */
  readonly request: string;
  /** Smoothed keypoints the crops were aligned from (the "then" of the carry transform). */
  readonly keypoints: readonly Point[];
  /** Smoothed landmarks per set, in the track's face frame (see the module comment). */
  readonly landmarks: Readonly<Record<string, Point[]>>;
  readonly parsing?: Record<string, ParsingResult>;
  readonly layerAttention?: FaceTaskResults['layerAttention'];
  /** Dense tasks that failed on this pass (carried with the results, so the failure stays shown until the next pass). */
  readonly taskErrors?: FaceTaskResults['taskErrors'];
}

/** Share of a new measurement in the running cost / frame-interval averages. */
const EMA = 0.3;
const ema = (prev: number | undefined, v: number) => (prev === undefined ? v : prev + EMA * (v - prev));

function addTimings(into: TimingsTally, t: FaceptorTimings): void {
  into.alignMs += t.alignMs;
  into.encoder112Ms += t.encoder112Ms;
  into.encoder512Ms += t.encoder512Ms;
  into.decodeMs += t.decodeMs;
  into.runMs += t.runMs;
  into.totalMs += t.totalMs;
  into.readBackBytes += t.readBackBytes;
  const taskMs: Partial<Record<TaskName, number>> = { ...into.taskMs };
  for (const [k, v] of Object.entries(t.taskMs) as [TaskName, number][]) taskMs[k] = (taskMs[k] ?? 0) + v;
  into.taskMs = taskMs;
  const runs: Record<string, number> = { ...into.runs };
  for (const [k, v] of Object.entries(t.runs)) runs[k] = (runs[k] ?? 0) + v;
  into.runs = runs;
}

function addRuns(into: RunTally, r: RunCounts): void {
  into.encoder112 += r.encoder112;
  into.encoder512 += r.encoder512;
  for (const [k, v] of Object.entries(r.tasks) as [TaskName, number][]) into.tasks[k] = (into.tasks[k] ?? 0) + v;
}

const landmarkKey = (set: string) => `landmarks:${set}`;

export class VideoAnalyzer {
  private readonly tracker: FaceTracker;
  private readonly now: () => number;
  /** Keypoints of each track's first frame: the face frame its landmarks are smoothed in. */
  private readonly faceFrames = new Map<number, readonly Point[]>();
  private readonly dense = new Map<number, DenseState>();
  /** Tracks that have had a frame with Faceptor tasks (a new one's first 512 pass may wait a frame). */
  private readonly analysedTracks = new Set<number>();
  /** Measured 512 cost per face and frame interval (running averages, ms). */
  private denseCostMs: number | undefined;
  private frameIntervalMs: number | undefined;
  private lastTimestampMs: number | undefined;

  constructor(
    private readonly detector: FaceDetector,
    private readonly provider: ExecutionProvider,
    readonly options: VideoAnalyzerOptions = {},
  ) {
    this.tracker = new FaceTracker({ ...DEFAULT_TRACKER_OPTIONS, ...options.tracker });
    this.now = options.now ?? (() => performance.now());
  }

  /** Current 512 refresh interval per track (ms; 0 = every frame), from the measured cost. For hosts' status lines. */
  denseIntervalMs(faces: number): number {
    if (this.denseCostMs === undefined || faces === 0) return 0;
    return denseRefreshIntervalMs(
      this.denseCostMs,
      faces,
      this.frameIntervalMs ?? 0,
      this.options.maxDenseShare ?? 0.5,
    );
  }

  async analyze(image: RgbaImage, options: VideoFrameOptions): Promise<ImageAnalysis> {
    const start = performance.now();
    const { timestampMs: t, decodeMs = 0, sourceSize, faceptor, ...detectOptions } = options;
    const width = sourceSize?.width ?? image.width;
    const height = sourceSize?.height ?? image.height;
    if (!(width > 0 && height > 0)) throw new Error(`Invalid source size ${width}×${height}`);
    if (!Number.isFinite(t)) throw new Error(`timestampMs must be a finite number, got ${t}`);
    if (this.lastTimestampMs !== undefined && t > this.lastTimestampMs)
      this.frameIntervalMs = ema(this.frameIntervalMs, t - this.lastTimestampMs);
    this.lastTimestampMs = t;

    const result = await this.detector.detect(image, detectOptions);
    // Tracks live in source pixels, so a host that changes its downscale between frames keeps its tracks.
    const fx = width / image.width,
      fy = height / image.height;
    const toSource = (f: FaceAnalysis) => (fx === 1 && fy === 1 ? f : rescaleFace(f, fx, fy, width, height));
    const toAnalysed = (f: FaceAnalysis) =>
      fx === 1 && fy === 1 ? f : rescaleFace(f, 1 / fx, 1 / fy, image.width, image.height);

    const live = this.tracker.update(result.faces.map(toSource), t);
    this.forgetVanished(live);
    const tracks = live.filter((tr) => tr.detection !== null);
    for (const tr of tracks) if (!this.faceFrames.has(tr.id)) this.faceFrames.set(tr.id, tr.keypoints);
    // Tracks no Faceptor pass has seen yet: a face that just appeared, every face after reset(), or the faces
    // already tracked when the model (or the first task) arrives.
    const fresh = new Set(tracks.filter((tr) => !this.analysedTracks.has(tr.id)).map((tr) => tr.id));

    let faces: FaceAnalysis[] = tracks.map((tr) => ({
      box: tr.box,
      keypoints: tr.keypoints,
      score: tr.score,
      trackId: tr.id,
      velocity: tr.velocity,
    }));
    let extra: Pick<ImageAnalysis, 'model' | 'tasks' | 'runs'> = {};
    let faceptorTimings: FaceptorTimings | undefined;
    if (faceptor) {
      const { model, ...taskOptions } = faceptor;
      const tasks = model.resolveTasks(taskOptions.tasks ?? 'default');
      const sparse = tasks.filter((n) => TASKS[n].group === 112);
      const denseTasks = tasks.filter((n) => TASKS[n].group === 512);
      const timings = zeroFaceptorTimings();
      const runs: RunTally = { encoder112: 0, encoder512: 0, tasks: {} };
      // the analysed-image faces the crops are aligned from: the smoothed geometry
      const analysed = tracks.map((tr) => toAnalysed({ box: tr.box, keypoints: tr.keypoints, score: tr.score }));

      let sparseResults: FaceTaskResults[] = tracks.map(() => ({}));
      if (sparse.length > 0 && tracks.length > 0) {
        const r = await model.analyzeFaces(image, analysed, { ...taskOptions, tasks: sparse });
        sparseResults = r.faces;
        addTimings(timings, r.timings);
        addRuns(runs, r.runs);
      }

      if (denseTasks.length > 0 && tracks.length > 0) {
        const request = `${denseTasks.join(',')}|${taskOptions.denseCrops ?? 'shared'}|${!!taskOptions.layerAttention}`;
        for (const [id, s] of this.dense) if (s.request !== request) this.dense.delete(id);
        const last = new Map([...this.dense].map(([id, s]) => [id, s.timeMs]));
        // A new face's first 512 pass waits one frame wherever that pass is slow, or not measured yet: the frame
        // that finds the face then returns after the 112 pass alone (box, age, expression… in ~1 s at real size on
        // a CPU, where both passes took ~10 s), and its landmarks and mask follow on the next frame. A device that
        // runs the 512 pass on every frame loses nothing but that one frame for a face's first landmarks.
        const deferFresh = this.denseCostMs === undefined || this.denseIntervalMs(tracks.length) > 0;
        const refresh = new Set(
          pickDenseRefresh(
            tracks.map((tr) => tr.id).filter((id) => !(deferFresh && fresh.has(id))),
            last,
            t,
            {
              maxPerFrame: this.options.maxDensePerFrame ?? 1,
              minIntervalMs: this.denseIntervalMs(tracks.length),
            },
          ),
        );
        const picked = tracks.flatMap((tr, i) => (refresh.has(tr.id) ? [i] : []));
        if (picked.length > 0) {
          const c0 = this.now();
          const r = await model.analyzeFaces(
            image,
            picked.map((i) => analysed[i]),
            { ...taskOptions, tasks: denseTasks },
          );
          this.denseCostMs = ema(this.denseCostMs, (this.now() - c0) / picked.length);
          addTimings(timings, r.timings);
          addRuns(runs, r.runs);
          picked.forEach((i, k) => this.storeDense(tracks[i], toSource({ ...analysed[i], ...r.faces[k] }), request, t));
        }
      }

      // results of a request that is off now would come back stale when it is switched on again
      if (denseTasks.length === 0) this.dense.clear();
      faces = tracks.map((tr, i) => this.compose(tr, sparseResults[i], t, denseTasks.length > 0));
      extra = { model: model.info, tasks, runs };
      if (tasks.length > 0) for (const tr of tracks) this.analysedTracks.add(tr.id);
      faceptorTimings = timings;
    } else {
      this.dense.clear();
    }

    return assembleAnalysis({
      image,
      width,
      height,
      faces,
      result,
      provider: this.provider,
      decodeMs,
      start,
      faceptorTimings,
      extra,
    });
  }

  /** Forgets all tracks (new ids from the next frame on) and their dense results. The measured cost stays. */
  reset(): void {
    this.tracker.reset();
    this.dense.clear();
    this.faceFrames.clear();
    this.analysedTracks.clear();
    this.lastTimestampMs = undefined;
    this.frameIntervalMs = undefined;
  }

  private forgetVanished(live: readonly TrackedFace[]): void {
    const ids = new Set(live.map((tr) => tr.id));
    for (const id of [...this.dense.keys()]) if (!ids.has(id)) this.dense.delete(id);
    for (const id of [...this.faceFrames.keys()]) if (!ids.has(id)) this.faceFrames.delete(id);
    for (const id of [...this.analysedTracks]) if (!ids.has(id)) this.analysedTracks.delete(id);
  }

  /** Keeps a fresh 512 result (source pixels): landmarks smoothed in the track's face frame. */
  private storeDense(tr: TrackedFace, fresh: FaceAnalysis, request: string, t: number): void {
    const toFace = fitSimilarity(tr.keypoints, this.faceFrames.get(tr.id)!);
    const landmarks: Record<string, Point[]> = {};
    for (const [set, { points }] of Object.entries(fresh.landmarks ?? {})) {
      landmarks[set] = this.tracker.smoothPoints(tr.id, landmarkKey(set), applySimilarity(toFace, points), t);
    }
    this.dense.set(tr.id, {
      timeMs: t,
      request,
      keypoints: tr.keypoints,
      landmarks,
      ...(fresh.parsing && { parsing: fresh.parsing }),
      ...(fresh.layerAttention && { layerAttention: fresh.layerAttention }),
      ...(fresh.taskErrors && { taskErrors: fresh.taskErrors }),
    });
  }

  private compose(tr: TrackedFace, sparse: FaceTaskResults, t: number, wantsDense: boolean): FaceAnalysis {
    const base: FaceAnalysis = {
      box: tr.box,
      keypoints: tr.keypoints,
      score: tr.score,
      trackId: tr.id,
      velocity: tr.velocity,
      ...sparse,
    };
    const d = wantsDense ? this.dense.get(tr.id) : undefined;
    if (!d) return base;
    const fromFace = fitSimilarity(this.faceFrames.get(tr.id)!, tr.keypoints);
    const fresh = d.timeMs === t;
    const moved: Similarity | undefined = fresh ? undefined : fitSimilarity(d.keypoints, tr.keypoints);
    const sets = Object.entries(d.landmarks);
    const layerAttention =
      sparse.layerAttention || d.layerAttention ? { ...sparse.layerAttention, ...d.layerAttention } : undefined;
    const taskErrors = sparse.taskErrors || d.taskErrors ? { ...sparse.taskErrors, ...d.taskErrors } : undefined;
    return {
      ...base,
      ...(sets.length > 0 && {
        landmarks: Object.fromEntries(
          sets.map(([set, pts]): [string, LandmarkSetResult] => [set, { points: applySimilarity(fromFace, pts) }]),
        ),
      }),
      ...(d.parsing && { parsing: d.parsing }),
      ...(layerAttention && { layerAttention }),
      ...(taskErrors && { taskErrors }),
      denseAgeMs: t - d.timeMs,
      ...(moved && { denseTransform: moved }),
    };
  }
}
