/**
 * Moving results that were computed on an earlier frame (the 512 pass: landmarks, parsing) to where the face is
 * now. The face's motion between the two frames is the least-squares similarity (Umeyama) between its keypoints
 * then and now; a similarity (not a full affine) because a face moves rigidly, and six noisy keypoints would let
 * an affine shear the carried points.
 */
import type { Point } from '../types.ts';
import type { Affine } from '../align/affine.ts';
import { estimateSimilarity } from '../align/similarity.ts';

/** x' = a·x − b·y + tx, y' = b·x + a·y + ty (rotation·scale as the complex number a + i·b, then translation). */
export type Similarity = readonly [a: number, b: number, tx: number, ty: number];

export const IDENTITY_SIMILARITY: Similarity = [1, 0, 0, 0];

/** The similarity that best maps `from` onto `to` (same order, ≥ 2 distinct points; see estimateSimilarity). */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  const [a, , tx, b, , ty] = estimateSimilarity(from, to);
  return [a, b, tx, ty];
}

export function applySimilarity([a, b, tx, ty]: Similarity, points: readonly Point[]): Point[] {
  return points.map(([x, y]): Point => [a * x - b * y + tx, b * x + a * y + ty]);
}

/** The same transform as a 2×3 affine matrix (core/align's convention). */
export function similarityToAffine([a, b, tx, ty]: Similarity): Affine {
  return [a, -b, tx, b, a, ty];
}
