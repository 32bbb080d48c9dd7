/**
 * BlazeFace raw output → candidate detections, following MediaPipe's TensorsToDetectionsCalculator with
 * reverse_output_order (regressor order x, y, w, h, then keypoint x, y pairs), fixed 1×1 anchors,
 * sigmoid scores with the logit clipped to ±score_clipping_thresh (100).
 * Coordinates are normalised to the model input square ([0, 1] across the letterboxed tensor).
 */
import type { AnchorCentres } from './anchors.ts';

/** A detection in normalised model-input coordinates. */
export interface NormalizedDetection {
  readonly xMin: number;
  readonly yMin: number;
  readonly xMax: number;
  readonly yMax: number;
  readonly score: number;
  /** [x0, y0, x1, y1, ...] */
  readonly keypoints: Float32Array;
}

export interface DecodeOptions {
  /** Raw values are in input pixels; divide by this (MediaPipe x_scale = y_scale = w_scale = h_scale). */
  readonly coordScale: number;
  readonly numKeypoints: number;
  readonly numCoords: number;
  readonly minScore: number;
  /** MediaPipe's score_clipping_thresh. */
  readonly scoreClip?: number;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * `scores` and `boxes` are lists of chunks in anchor order (the ONNX export splits them per stride group);
 * chunk i holds scores[i].length anchors with numCoords values each in boxes[i].
 */
export function decodeBlazeFace(
  scores: readonly Float32Array[],
  boxes: readonly Float32Array[],
  anchors: AnchorCentres,
  options: DecodeOptions,
): NormalizedDetection[] {
  const { coordScale, numKeypoints, numCoords, minScore } = options;
  const clip = options.scoreClip ?? 100;
  const total = scores.reduce((n, s) => n + s.length, 0);
  if (total * 2 !== anchors.length) {
    throw new Error(`BlazeFace output has ${total} scores but the anchor scheme has ${anchors.length / 2} anchors`);
  }
  // Compare logits, not probabilities: skips exp() for the ~890 anchors that are not faces.
  const minLogit = minScore <= 0 ? -Infinity : minScore >= 1 ? Infinity : Math.log(minScore / (1 - minScore));
  const out: NormalizedDetection[] = [];
  let anchor = 0;
  for (let c = 0; c < scores.length; c++) {
    const s = scores[c];
    const b = boxes[c];
    if (b.length !== s.length * numCoords) {
      throw new Error(`BlazeFace regressor chunk ${c} has ${b.length} values, expected ${s.length * numCoords}`);
    }
    for (let i = 0; i < s.length; i++, anchor++) {
      const logit = Math.max(-clip, Math.min(clip, s[i]));
      if (logit < minLogit) continue;
      const ax = anchors[2 * anchor];
      const ay = anchors[2 * anchor + 1];
      const o = i * numCoords;
      const cx = b[o] / coordScale + ax;
      const cy = b[o + 1] / coordScale + ay;
      const w = b[o + 2] / coordScale;
      const h = b[o + 3] / coordScale;
      const keypoints = new Float32Array(numKeypoints * 2);
      for (let k = 0; k < numKeypoints; k++) {
        keypoints[2 * k] = b[o + 4 + 2 * k] / coordScale + ax;
        keypoints[2 * k + 1] = b[o + 5 + 2 * k] / coordScale + ay;
      }
      out.push({
        xMin: cx - w / 2,
        yMin: cy - h / 2,
        xMax: cx + w / 2,
        yMax: cy + h / 2,
        score: sigmoid(logit),
        keypoints,
      });
    }
  }
  return out;
}
