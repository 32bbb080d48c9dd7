/**
 * 2×3 affine matrices for 2-D points: `[a, b, c, d, e, f]` maps (x, y) to (a·x + b·y + c, d·x + e·y + f).
 * Row-major like OpenCV's `warpAffine` matrices, so numbers can be compared with reference code directly.
 * Pixel coordinates follow the project convention: pixel centres at integers.
 */
import type { Point } from '../types.ts';

export type Affine = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

export const IDENTITY: Affine = [1, 0, 0, 0, 1, 0];

/** Applies `m` to the point (x, y). */
export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

/** Applies `m` to every point. */
export function applyAffineToPoints(m: Affine, points: readonly Point[]): Point[] {
  return points.map(([x, y]) => applyAffine(m, x, y));
}

/** `composeAffine(second, first)` maps p to second(first(p)) — the order of matrix multiplication. */
export function composeAffine(second: Affine, first: Affine): Affine {
  const [a2, b2, c2, d2, e2, f2] = second;
  const [a1, b1, c1, d1, e1, f1] = first;
  return [
    a2 * a1 + b2 * d1,
    a2 * b1 + b2 * e1,
    a2 * c1 + b2 * f1 + c2,
    d2 * a1 + e2 * d1,
    d2 * b1 + e2 * e1,
    d2 * c1 + e2 * f1 + f2,
  ];
}

/** The inverse transform. Throws on a singular (or non-finite) matrix instead of returning NaNs. */
export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) {
    throw new Error(`invertAffine: matrix is singular (determinant ${det})`);
  }
  const ia = e / det,
    ib = -b / det,
    id = -d / det,
    ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** Uniform scale of a similarity matrix (length of the transformed unit x vector). */
export function similarityScale(m: Affine): number {
  return Math.hypot(m[0], m[3]);
}

/** Rotation angle (radians, image axes: +x right, +y down) of a similarity matrix. */
export function similarityAngle(m: Affine): number {
  return Math.atan2(m[3], m[0]);
}

/** A similarity matrix from scale, rotation (radians) and translation. */
export function similarityFrom(scale: number, angle: number, tx: number, ty: number): Affine {
  const c = scale * Math.cos(angle),
    s = scale * Math.sin(angle);
  return [c, -s, tx, s, c, ty];
}
