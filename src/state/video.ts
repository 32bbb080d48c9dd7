/**
 * The video file view: the opened file, the live overlay while it plays (same loop and scheduling as the camera),
 * and a whole-video analysis at a chosen rate with its per-frame results (video-results.ts).
 */
import { create } from 'zustand';
import type { ImageAnalysis } from '../result.ts';
import type { VideoFrameResult } from './video-results.ts';

export type VideoAnalysisState = 'idle' | 'running' | 'done' | 'cancelled' | 'error';

export interface VideoFile {
  readonly name: string;
  readonly size: number;
  readonly url: string;
}

interface VideoStore {
  readonly file: VideoFile | null;
  readonly error: string | null;
  /** Analyse frames while the video plays (the camera's live pipeline). */
  readonly liveOverlay: boolean;
  readonly latest: ImageAnalysis | null;
  readonly latestAt: number;
  readonly fps: number;
  readonly rate: number;
  readonly state: VideoAnalysisState;
  readonly done: number;
  readonly total: number;
  readonly frames: readonly VideoFrameResult[];
  /** Attributes drawn on the timelines. */
  readonly attributes: readonly string[];
  set(patch: Partial<Omit<VideoStore, 'set' | 'open' | 'close'>>): void;
  open(file: File): void;
  close(): void;
}

export const DEFAULT_TIMELINE_ATTRIBUTES = ['Smiling', 'Eyeglasses', 'Mouth_Slightly_Open'] as const;
export const VIDEO_RATES = [0.5, 1, 2, 5, 10] as const;

const EMPTY = { error: null, latest: null, latestAt: 0, fps: 0, state: 'idle' as const, done: 0, total: 0, frames: [] };

export const useVideo = create<VideoStore>()((set, get) => ({
  file: null,
  liveOverlay: true,
  rate: 2,
  attributes: [...DEFAULT_TIMELINE_ATTRIBUTES],
  ...EMPTY,
  set: (patch) => set(patch),
  open: (file) => {
    const old = get().file;
    if (old) URL.revokeObjectURL(old.url);
    set({ ...EMPTY, file: { name: file.name || 'video', size: file.size, url: URL.createObjectURL(file) } });
  },
  close: () => {
    const old = get().file;
    if (old) URL.revokeObjectURL(old.url);
    set({ ...EMPTY, file: null });
  },
}));

/** Video files by type or, where the browser gives no type, by extension. */
export function isVideoFile(file: { name: string; type: string }): boolean {
  return file.type.startsWith('video/') || (!file.type && /\.(mp4|m4v|webm|mov|mkv|ogv)$/i.test(file.name));
}
