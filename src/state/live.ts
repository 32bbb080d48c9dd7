/** The webcam demo's state: camera lifecycle, the latest analysed frame, and rates. */
import { create } from 'zustand';
import type { AnalysisTimings, ImageAnalysis } from '../result.ts';

/** One analysed frame's timings as the UI thread saw them: the worker's stages plus the whole round trip. */
export interface FrameTimings extends AnalysisTimings {
  /** createImageBitmap(video) on the UI thread. */
  readonly grabMs: number;
  /** From grabbing the frame to having its result on the UI thread (what one frame costs end to end). */
  readonly roundTripMs: number;
}

/** How many recent frames' timings are kept (for medians in the UI and in `npm run bench:browser`). */
export const TIMING_HISTORY = 120;

export type CameraPhase = 'off' | 'starting' | 'on' | 'error';

export interface CameraDevice {
  readonly deviceId: string;
  readonly label: string;
}

interface LiveStore {
  readonly camera: CameraPhase;
  readonly error: string | null;
  readonly devices: readonly CameraDevice[];
  readonly deviceId: string | null;
  readonly latest: ImageAnalysis | null;
  /** performance.now() when `latest`'s camera frame was grabbed: the overlay moves faces on from there. */
  readonly latestAt: number;
  /** Analysed frames per second over the last frames (not the camera's rate; see FrameGate). */
  readonly fps: number;
  readonly framesAnalysed: number;
  readonly recentTimings: readonly FrameTimings[];
  set(patch: Partial<Omit<LiveStore, 'set'>>): void;
}

export const useLive = create<LiveStore>()((set) => ({
  camera: 'off',
  error: null,
  devices: [],
  deviceId: null,
  latest: null,
  latestAt: 0,
  fps: 0,
  framesAnalysed: 0,
  recentTimings: [],
  set: (patch) => set(patch),
}));

/**
 * What the last landmarks/parsing refresh cost end to end (ms): the round trip of the newest frame that ran the 512
 * encoder, or undefined before one did. On a slow device that pass takes seconds, so the live view tells how long
 * the next refresh is likely to take instead of only saying that one is under way.
 */
export function lastDenseRefreshMs(recent: readonly FrameTimings[]): number | undefined {
  for (let i = recent.length - 1; i >= 0; i--) {
    if ((recent[i]!.faceptor?.encoder512Ms ?? 0) > 0) return recent[i]!.roundTripMs;
  }
  return undefined;
}
