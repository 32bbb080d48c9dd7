/**
 * A parsing result as a whole-image label map: one byte per source pixel, value = class index in the head's label
 * list (0 = background, also everywhere outside the result's region). This is the form parsing datasets ship
 * (CelebAMask-HQ, LaPa) and what evaluation scripts read.
 */
import type { Box } from '../types.ts';

export interface LabelRegion {
  readonly region: Box;
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/**
 * Pastes `parsing` (image-aligned: data[j·width + i] is pixel (region.x + i, region.y + j)) into a zero image of
 * `imageWidth`×`imageHeight`. Parts of the region outside the image are cut off; sizes are checked first.
 */
export function labelMapOf(parsing: LabelRegion, imageWidth: number, imageHeight: number): Uint8Array {
  const { region, width, height, data } = parsing;
  if (!Number.isInteger(imageWidth) || !Number.isInteger(imageHeight) || imageWidth < 1 || imageHeight < 1) {
    throw new Error(`label map: invalid image size ${imageWidth}×${imageHeight}`);
  }
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 0 ||
    height < 0 ||
    data.length !== width * height
  ) {
    throw new Error(`label map: the mask holds ${data.length} values, not ${width}×${height}`);
  }
  if (!Number.isInteger(region.x) || !Number.isInteger(region.y))
    throw new Error('label map: the mask region is not on whole pixels');
  const out = new Uint8Array(imageWidth * imageHeight);
  const x0 = Math.max(0, region.x),
    x1 = Math.min(imageWidth, region.x + width);
  for (let j = 0; j < height; j++) {
    const y = region.y + j;
    if (y < 0 || y >= imageHeight || x1 <= x0) continue;
    out.set(data.subarray(j * width + (x0 - region.x), j * width + (x1 - region.x)), y * imageWidth + x0);
  }
  return out;
}
