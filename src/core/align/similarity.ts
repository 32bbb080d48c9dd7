/**
 * Least-squares similarity transform (uniform scale + rotation + translation, NO reflection) between two point
 * sets: Umeyama (1991), the same estimator as scikit-image's `SimilarityTransform.estimate` that the official
 * LaPa pre-processing uses (docs/model.md §3.5) and InsightFace's `estimate_norm`.
 *
 * For 2-D the closed form is simple: with centred points p (source) and q (target), treat them as complex
 * numbers; the best rotation·scale is z = Σ conj(p)·q / Σ|p|². This equals Umeyama's SVD solution when the
 * optimum is a proper rotation, which it always is for the complex form (a reflection is not representable).
 */
import type { Point } from '../types.ts';
import type { Affine } from './affine.ts';

/**
 * Fits `m` minimising Σ wᵢ·|m(srcᵢ) − dstᵢ|². Weights are optional (default 1).
 * Throws on fewer than 2 pairs, mismatched lengths, non-finite input or degenerate (coincident) source points.
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[], weights?: readonly number[]): Affine {
  if (src.length !== dst.length)
    throw new Error(`estimateSimilarity: ${src.length} source points but ${dst.length} targets`);
  if (src.length < 2) throw new Error('estimateSimilarity: needs at least 2 point pairs');
  if (weights && weights.length !== src.length)
    throw new Error('estimateSimilarity: one weight per point pair required');
  let wSum = 0,
    sx = 0,
    sy = 0,
    dx = 0,
    dy = 0;
  for (let i = 0; i < src.length; i++) {
    const w = weights ? weights[i] : 1;
    const [px, py] = src[i],
      [qx, qy] = dst[i];
    if (![px, py, qx, qy, w].every(Number.isFinite) || w < 0) {
      throw new Error(`estimateSimilarity: point pair ${i} or its weight is not a finite number`);
    }
    wSum += w;
    sx += w * px;
    sy += w * py;
    dx += w * qx;
    dy += w * qy;
  }
  if (wSum <= 0) throw new Error('estimateSimilarity: weights sum to zero');
  sx /= wSum;
  sy /= wSum;
  dx /= wSum;
  dy /= wSum;
  let re = 0,
    im = 0,
    norm = 0;
  for (let i = 0; i < src.length; i++) {
    const w = weights ? weights[i] : 1;
    const px = src[i][0] - sx,
      py = src[i][1] - sy;
    const qx = dst[i][0] - dx,
      qy = dst[i][1] - dy;
    // conj(p)·q = (px − i·py)(qx + i·qy)
    re += w * (px * qx + py * qy);
    im += w * (px * qy - py * qx);
    norm += w * (px * px + py * py);
  }
  if (norm < 1e-12) throw new Error('estimateSimilarity: source points coincide, the transform is undefined');
  const a = re / norm,
    b = im / norm; // m = [[a, −b], [b, a]]
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}
