/** Test frames with a known motion: a photo moved by whole pixels, so the true displacement of every face is exact. */
import type { RgbaImage } from '../../../src/core/types.ts';

/** The image moved by (dx, dy) whole pixels; uncovered pixels repeat the edge. */
export function shiftImage(img: RgbaImage, dx: number, dy: number): RgbaImage {
  const { width: w, height: h } = img;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, y - dy));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(w - 1, Math.max(0, x - dx));
      data.set(img.data.subarray((sy * w + sx) * 4, (sy * w + sx) * 4 + 4), (y * w + x) * 4);
    }
  }
  return { width: w, height: h, data };
}
