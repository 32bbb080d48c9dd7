/**
 * Face tracks across video frames: detections are associated to tracks by IoU with each track's
 * motion-predicted box (greedy, best pairs first), ids stay stable, a track survives a few missed frames, and
 * box, keypoints and any per-track point sets (landmarks) are smoothed with One Euro filters.
 * Pure logic over plain values; the caller passes timestamps.
 */
import type { Box, Detection, Point } from '../types.ts';
import { FACE_SMOOTHING, type OneEuroParams, VectorFilter } from './oneEuro.ts';

export interface TrackerOptions {
  /** Minimum IoU between a track's predicted box and a detection to continue the track. */
  readonly iouThreshold: number;
  /** A track is dropped after this many consecutive frames without a detection. */
  readonly maxMissed: number;
  readonly smoothing: OneEuroParams;
}

/**
 * Cutoff of the reported velocity: at 0.5 Hz (time constant 0.32 s) a still face with detector noise of 1 % of its
 * width reads under 0.2 widths/s (track.test.ts) while a steady motion is read at its speed within a few frames.
 */
export const VELOCITY_CUTOFF_HZ = 0.5;

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = { iouThreshold: 0.3, maxMissed: 5, smoothing: FACE_SMOOTHING };

export interface TrackedFace {
  /** Stable id, unique for the tracker's lifetime (never reused). */
  readonly id: number;
  /** Smoothed box and keypoints (source-image pixels). */
  readonly box: Box;
  readonly keypoints: readonly Point[];
  /**
   * Motion of the box centre in px per ms: frame-to-frame motion of the raw centre, low-passed at
   * VELOCITY_CUTOFF_HZ, so detector noise on a still face gives little and a steady motion gives its true speed.
   * Lets a host draw the face where it is now, between analyses.
   */
  readonly velocity: Point;
  /** The raw detection of this frame, or null when the track is coasting on a missed frame. */
  readonly detection: Detection | null;
  /** Index of that detection in the frame's input list, −1 when missed. */
  readonly detectionIndex: number;
  readonly score: number;
  /** Frames this track has been matched in; consecutive frames missed right now. */
  readonly hits: number;
  readonly missed: number;
}

export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x),
    y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width),
    y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

interface TrackState {
  id: number;
  raw: Box;
  /** Velocity of the box centre in px/ms (an EMA of raw motion), for prediction across frames. */
  vx: number;
  vy: number;
  /** The same motion low-passed at VELOCITY_CUTOFF_HZ (px/ms), reported as TrackedFace.velocity. */
  smoothVx: number;
  smoothVy: number;
  lastMs: number;
  hits: number;
  missed: number;
  out: TrackedFace;
  boxFilter: VectorFilter;
  keypointFilter: VectorFilter;
  extraFilters: Map<string, VectorFilter>;
}

export class FaceTracker {
  private readonly options: TrackerOptions;
  private states: TrackState[] = [];
  private nextId = 1;

  constructor(options: Partial<TrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
  }

  /** Live tracks after the last update (matched and coasting). */
  get tracks(): readonly TrackedFace[] {
    return this.states.map((s) => s.out);
  }

  /** Associates this frame's detections; returns every live track (matched first, in detection order). */
  update(detections: readonly Detection[], timeMs: number): TrackedFace[] {
    const { iouThreshold, maxMissed } = this.options;
    const predicted = this.states.map((s) => {
      const dt = Math.max(0, timeMs - s.lastMs);
      return { ...s.raw, x: s.raw.x + s.vx * dt, y: s.raw.y + s.vy * dt };
    });
    const pairs: [number, number, number][] = [];
    this.states.forEach((_, ti) =>
      detections.forEach((d, di) => {
        const o = iou(predicted[ti], d.box);
        if (o >= iouThreshold) pairs.push([o, ti, di]);
      }),
    );
    pairs.sort((a, b) => b[0] - a[0]);
    const trackOf = new Map<number, number>(),
      usedTracks = new Set<number>();
    for (const [, ti, di] of pairs) {
      if (usedTracks.has(ti) || trackOf.has(di)) continue;
      usedTracks.add(ti);
      trackOf.set(di, ti);
    }
    const matched: TrackState[] = [];
    detections.forEach((d, di) => {
      const ti = trackOf.get(di);
      const state = ti === undefined ? this.newState(d, timeMs) : this.states[ti];
      if (ti !== undefined) this.advance(state, d, timeMs);
      state.out = this.render(state, d, di, timeMs);
      matched.push(state);
    });
    const coasting = this.states
      .filter((s, ti) => !usedTracks.has(ti))
      .filter((s) => {
        s.missed++;
        s.out = { ...s.out, detection: null, detectionIndex: -1, missed: s.missed };
        return s.missed <= maxMissed;
      });
    this.states = [...matched, ...coasting];
    return this.tracks.slice();
  }

  /**
   * Smooths a per-track point set (e.g. `landmarks:align_300w`) with the track's own filters, scaled by its
   * box width. Unknown track ids return the points unchanged.
   */
  smoothPoints(trackId: number, key: string, points: readonly Point[], timeMs: number): Point[] {
    const s = this.states.find((t) => t.id === trackId);
    if (!s) return points.slice();
    let f = s.extraFilters.get(key);
    if (!f) s.extraFilters.set(key, (f = new VectorFilter(this.options.smoothing)));
    const flat = f.filter(points.flat(), timeMs / 1000, s.raw.width);
    return points.map((_, i): Point => [flat[2 * i], flat[2 * i + 1]]);
  }

  reset(): void {
    this.states = [];
  }

  private newState(d: Detection, timeMs: number): TrackState {
    return {
      id: this.nextId++,
      raw: d.box,
      vx: 0,
      vy: 0,
      smoothVx: 0,
      smoothVy: 0,
      lastMs: timeMs,
      hits: 0,
      missed: 0,
      out: undefined as unknown as TrackedFace, // set by render() right after
      boxFilter: new VectorFilter(this.options.smoothing),
      keypointFilter: new VectorFilter(this.options.smoothing),
      extraFilters: new Map(),
    };
  }

  private advance(s: TrackState, d: Detection, timeMs: number): void {
    const dt = timeMs - s.lastMs;
    if (dt > 0) {
      const vx = (d.box.x + d.box.width / 2 - (s.raw.x + s.raw.width / 2)) / dt;
      const vy = (d.box.y + d.box.height / 2 - (s.raw.y + s.raw.height / 2)) / dt;
      // after a gap the first velocity is unreliable: blend
      const k = s.hits > 1 ? 0.5 : 1;
      s.vx += k * (vx - s.vx);
      s.vy += k * (vy - s.vy);
      const a = 1 / (1 + 1000 / (2 * Math.PI * VELOCITY_CUTOFF_HZ * dt)); // first-order low-pass, dt in ms
      s.smoothVx += a * (vx - s.smoothVx);
      s.smoothVy += a * (vy - s.smoothVy);
    }
    s.raw = d.box;
    s.lastMs = timeMs;
    s.missed = 0;
  }

  private render(s: TrackState, d: Detection, index: number, timeMs: number): TrackedFace {
    s.hits++;
    const t = timeMs / 1000,
      scale = d.box.width;
    const [cx, cy, w, h] = s.boxFilter.filter(
      [d.box.x + d.box.width / 2, d.box.y + d.box.height / 2, d.box.width, d.box.height],
      t,
      scale,
    );
    const kp = s.keypointFilter.filter(d.keypoints.flat(), t, scale);
    return {
      id: s.id,
      box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h },
      keypoints: d.keypoints.map((_, i): Point => [kp[2 * i], kp[2 * i + 1]]),
      velocity: [s.smoothVx, s.smoothVy],
      detection: d,
      detectionIndex: index,
      score: d.score,
      hits: s.hits,
      missed: 0,
    };
  }
}
