/**
 * MediaPipe's WEIGHTED non-maximum suppression (NonMaxSuppressionCalculator, algorithm WEIGHTED): take the best
 * remaining detection, gather every remaining detection overlapping it by IoU > threshold (itself included), and
 * replace the group by the score-weighted average of their boxes and keypoints, keeping the best score.
 * BlazeFace fires on several neighbouring anchors per face; blending them is steadier than dropping them.
 */
import type { NormalizedDetection } from './decode.ts';

export interface BoxLike {
  readonly xMin: number;
  readonly yMin: number;
  readonly xMax: number;
  readonly yMax: number;
}

export function intersectionOverUnion(a: BoxLike, b: BoxLike): number {
  const iw = Math.min(a.xMax, b.xMax) - Math.max(a.xMin, b.xMin);
  const ih = Math.min(a.yMax, b.yMax) - Math.max(a.yMin, b.yMin);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.xMax - a.xMin) * (a.yMax - a.yMin) + (b.xMax - b.xMin) * (b.yMax - b.yMin) - inter;
  return union > 0 ? inter / union : 0;
}

export interface NmsOptions {
  /** MediaPipe min_suppression_threshold (0.3 for BlazeFace). */
  readonly iouThreshold?: number;
  readonly maxDetections?: number;
}

export function weightedNonMaxSuppression(
  detections: readonly NormalizedDetection[],
  options: NmsOptions = {},
): NormalizedDetection[] {
  const threshold = options.iouThreshold ?? 0.3;
  const max = options.maxDetections ?? Infinity;
  let remaining = [...detections].sort((a, b) => b.score - a.score);
  const out: NormalizedDetection[] = [];
  while (remaining.length > 0 && out.length < max) {
    const best = remaining[0];
    const group: NormalizedDetection[] = [];
    const rest: NormalizedDetection[] = [];
    for (const d of remaining) (intersectionOverUnion(best, d) > threshold || d === best ? group : rest).push(d);
    remaining = rest;
    if (group.length === 1) {
      out.push(best);
      continue;
    }
    let total = 0,
      xMin = 0,
      yMin = 0,
      xMax = 0,
      yMax = 0;
    const keypoints = new Float32Array(best.keypoints.length);
    for (const d of group) {
      const w = d.score;
      total += w;
      xMin += w * d.xMin;
      yMin += w * d.yMin;
      xMax += w * d.xMax;
      yMax += w * d.yMax;
      for (let k = 0; k < keypoints.length; k++) keypoints[k] += w * d.keypoints[k];
    }
    for (let k = 0; k < keypoints.length; k++) keypoints[k] /= total;
    out.push({
      xMin: xMin / total,
      yMin: yMin / total,
      xMax: xMax / total,
      yMax: yMax / total,
      score: best.score,
      keypoints,
    });
  }
  return out;
}
