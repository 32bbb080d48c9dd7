/** The webcam demo's state: camera lifecycle, the latest analysed frame, and rates. */
import { create } from 'zustand';
import type { ImageAnalysis } from '../../workers/perception-api.ts';

export type CameraPhase = 'off' | 'starting' | 'on' | 'error';

export interface CameraDevice { readonly deviceId: string; readonly label: string }

interface LiveStore {
  readonly camera: CameraPhase;
  readonly error: string | null;
  readonly devices: readonly CameraDevice[];
  readonly deviceId: string | null;
  readonly latest: ImageAnalysis | null;
  /** Analysed frames per second (not the camera's rate). */
  readonly fps: number;
  readonly framesAnalysed: number;
  /** Camera frames skipped because the worker was busy (newest frame wins; nothing queues). */
  readonly framesSkipped: number;
  set(patch: Partial<Omit<LiveStore, 'set'>>): void;
}

export const useLive = create<LiveStore>()((set) => ({
  camera: 'off',
  error: null,
  devices: [],
  deviceId: null,
  latest: null,
  fps: 0,
  framesAnalysed: 0,
  framesSkipped: 0,
  set: (patch) => set(patch),
}));
