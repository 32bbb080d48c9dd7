/**
 * Letterbox: fit a W×H image into an S×S square keeping its aspect ratio, centred, padding the rest.
 * Continuous coordinates (edges at 0 and W) map as  u = X·scale + pad  (tensor pixels). Points in the public
 * contracts use pixel centres at integers, so x = X − 0.5.
 */
import type { Point } from '../types.ts';

export interface Letterbox {
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  /** Side of the square model input in pixels. */
  readonly size: number;
  /** Tensor pixels per source pixel. */
  readonly scale: number;
  /** Padding before the content, in tensor pixels (may be fractional: the mapping stays exact). */
  readonly padX: number;
  readonly padY: number;
}

export function computeLetterbox(sourceWidth: number, sourceHeight: number, size: number): Letterbox {
  if (!(sourceWidth > 0 && sourceHeight > 0))
    throw new Error(`Cannot letterbox an empty image (${sourceWidth}×${sourceHeight})`);
  const scale = size / Math.max(sourceWidth, sourceHeight);
  return {
    sourceWidth,
    sourceHeight,
    size,
    scale,
    padX: (size - sourceWidth * scale) / 2,
    padY: (size - sourceHeight * scale) / 2,
  };
}

/** Normalised model-input coordinate ([0, 1] across the square) → source pixel (centre convention). */
export function normalizedToSource(lb: Letterbox, u: number, v: number): Point {
  return [(u * lb.size - lb.padX) / lb.scale - 0.5, (v * lb.size - lb.padY) / lb.scale - 0.5];
}

/** Source pixel (centre convention) → normalised model-input coordinate. Inverse of normalizedToSource. */
export function sourceToNormalized(lb: Letterbox, x: number, y: number): Point {
  return [((x + 0.5) * lb.scale + lb.padX) / lb.size, ((y + 0.5) * lb.scale + lb.padY) / lb.size];
}

/** A length along the normalised input → source pixels. */
export function normalizedLengthToSource(lb: Letterbox, length: number): number {
  return (length * lb.size) / lb.scale;
}
