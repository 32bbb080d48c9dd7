/** Normalised detections (model-input square) → public Detection in source-image pixels, through the letterbox. */
import type { Detection, Point } from '../types.ts';
import { normalizedLengthToSource, normalizedToSource, type Letterbox } from '../geometry/letterbox.ts';
import type { NormalizedDetection } from './decode.ts';

export function detectionToSource(d: NormalizedDetection, lb: Letterbox): Detection {
  const [x, y] = normalizedToSource(lb, d.xMin, d.yMin);
  const keypoints: Point[] = [];
  for (let k = 0; k < d.keypoints.length; k += 2)
    keypoints.push(normalizedToSource(lb, d.keypoints[k], d.keypoints[k + 1]));
  return {
    box: {
      x,
      y,
      width: normalizedLengthToSource(lb, d.xMax - d.xMin),
      height: normalizedLengthToSource(lb, d.yMax - d.yMin),
    },
    score: d.score,
    keypoints,
  };
}
