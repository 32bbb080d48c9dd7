/**
 * The identity head's input as a picture: the 112×112 ArcFace-aligned crop of a face, cut from the card's photo
 * with the same matrix the pipeline uses (core crop112 on the detector's keypoints).
 */
import { crop112 } from '../../core/align/crops.ts';
import type { Affine } from '../../core/align/affine.ts';
import type { Point } from '../../core/types.ts';

/**
 * Canvas setTransform arguments for an image→crop affine. The core puts pixel centres at integers, a canvas at
 * k + ½, so the half-pixel shift is taken out before the matrix and put back after it.
 */
export function canvasTransform(m: Affine): [number, number, number, number, number, number] {
  const [a, b, c, d, e, f] = m;
  return [a, d, b, e, c + 0.5 - 0.5 * (a + b), f + 0.5 - 0.5 * (d + e)];
}

export function alignedCropUrl(image: CanvasImageSource, keypoints: readonly Point[]): string | null {
  try {
    const spec = crop112(keypoints);
    const canvas = Object.assign(document.createElement('canvas'), { width: spec.size, height: spec.size });
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    ctx.setTransform(...canvasTransform(spec.matrix));
    ctx.drawImage(image, 0, 0);
    return canvas.toDataURL('image/png');
  } catch {
    return null; // keypoints that cannot be aligned: the comparison still shows, without a picture
  }
}
