/**
 * Hand-measured facial points of the shared photos (../shared/faces), in source pixels (pixel centres at
 * integers). How they were measured: each photo was cropped around the face, upscaled 4–7× with nearest neighbour
 * and overlaid with a 10-px grid; the pupil centres, the nose tip (the most protruding point, above the nostrils)
 * and the mouth centre (middle of the line between the lips) were read off the grid. Reading error ≈ 1–2 px.
 * Shared by the detection tests and the alignment tests, so nothing is measured twice.
 */
import type { Point } from '../../../src/core/types.ts';

export interface Truth {
  readonly rightEye?: Point;
  readonly leftEye?: Point;
  readonly nose: Point;
  readonly mouth: Point;
}

// Subject's right eye is on the image left for these upright, unmirrored photos.
export const TRUTH: Record<string, Truth> = {
  'astronaut.png': { rightEye: [203.1, 100.9], leftEye: [244.5, 102.8], nose: [223.1, 126.9], mouth: [223.8, 144.5] },
  'grace_hopper.jpg': {
    rightEye: [220.8, 188.3],
    leftEye: [303.3, 185.8],
    nose: [262.5, 243.3],
    mouth: [264.5, 277.0],
  },
  // 3/4 view facing image-right: the subject's right eye is the visible one; the left eye is hidden.
  'camera.png': { rightEye: [233.8, 147.4], nose: [251.6, 165.2], mouth: [238.8, 176.6] },
};
