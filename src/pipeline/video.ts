/**
 * Video analysis: per-frame detection + Faceptor tasks with face tracks. Faces keep a stable id, boxes, keypoints
 * and landmarks are smoothed (no jitter on a still face), and the expensive 512 pass (landmarks, parsing) is
 * refreshed per track at a lower rate when it would eat more than its share of the frame budget; in between, a
 * track carries its last dense results, moved with the face.
 *
 * CONTRACT STUB: the interface is final; the body below is a placeholder (no tracking) being replaced.
 */
import type { RgbaImage } from '../core/types.ts';
import type { FaceDetector } from './detector.ts';
import { analyzeImage, type AnalyzeOptions, type FaceAnalysis, type ImageAnalysis } from './analyze.ts';

export interface VideoAnalyzerOptions {
  /** Upper share of the frame time the 512 pass may take before it is refreshed less often. Default 0.5. */
  readonly maxDenseShare?: number;
  /** At most this many tracks get a 512 pass per frame. Default 1. */
  readonly maxDensePerFrame?: number;
}

export interface TrackedFaceAnalysis extends FaceAnalysis {
  readonly trackId: number;
  /** ms since this track's landmarks/parsing were computed (0 = this frame). Absent without dense tasks. */
  readonly denseAgeMs?: number;
}

export interface VideoAnalysis extends Omit<ImageAnalysis, 'faces'> {
  readonly faces: TrackedFaceAnalysis[];
}

export interface VideoFrameOptions extends AnalyzeOptions {
  /** Frame timestamp in ms (monotonic). */
  readonly timestampMs: number;
}

export class VideoAnalyzer {
  constructor(
    private readonly detector: FaceDetector,
    private readonly provider: string,
    readonly options: VideoAnalyzerOptions = {},
  ) {}

  async analyze(image: RgbaImage, options: VideoFrameOptions): Promise<VideoAnalysis> {
    const { timestampMs: _t, ...rest } = options;
    const r = await analyzeImage(this.detector, this.provider, image, rest);
    return { ...r, faces: r.faces.map((f, i) => ({ ...f, trackId: i + 1 })) };
  }

  /** Forgets all tracks. */
  reset(): void {}
}
