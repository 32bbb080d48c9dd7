/**
 * Public contracts shared by the core, the pipeline, the worker, the CLI and the UI.
 * Every coordinate is in source-image pixels (pixel centres at integers) unless a name says otherwise.
 */

export type Point = readonly [x: number, y: number];

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** An RGBA image in memory (ImageData-compatible layout, row-major, 4 bytes per pixel). */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray | Uint8Array;
}

/** BlazeFace keypoint order (MediaPipe): subject's right eye, left eye, nose tip, mouth centre, right ear, left ear. */
export const KEYPOINT_NAMES = ['right eye', 'left eye', 'nose', 'mouth', 'right ear', 'left ear'] as const;

/** One detected face, as the detector reports it. */
export interface Detection {
  readonly box: Box;
  /** Detector confidence in [0, 1] (sigmoid of the logit). */
  readonly score: number;
  /** Six keypoints in KEYPOINT_NAMES order. */
  readonly keypoints: readonly Point[];
}
