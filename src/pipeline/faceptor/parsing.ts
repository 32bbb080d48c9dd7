/**
 * Parsing labels straight into image coordinates, computing the docs/model.md §6.4 map (bilinear upsample of the Q×h×h
 * logits to the S×S crop, then arg-max) ONLY at the crop pixels that image pixels actually look up. The result is
 * identical to `labelsToImage(parsingLabels(...))` from the core (same taps, same float32 rounding, same nearest lookup
 * and border rule; a test checks equality), but a face that covers fewer image pixels than the 512×512 crop costs
 * proportionally less: ~4× less work for a 250-px face, which made parsing decode the largest non-runtime cost
 * of a frame. Each crop pixel is computed at most once (memo), so large faces cost no more than the full map.
 */
import type { CropSpec } from '../../core/align/crops.ts';
import { bilinearTaps, cropLabelsToImage, type Floats, type ImageMask } from '../../core/faceptor/decode.ts';

/**
 * `logits`: one face's [classes, side, side] (NCHW) graph output; `spec`: the crop it was computed on.
 * Returns the labels of the crop's footprint in the image (0 = background / outside the crop).
 */
export function parsingMaskInImage(
  logits: Floats,
  classes: number,
  side: number,
  spec: CropSpec,
  imageWidth: number,
  imageHeight: number,
): ImageMask {
  if (!(classes > 0 && classes < 256)) throw new Error(`parsingMaskInImage: class count ${classes} out of range`);
  if (logits.length !== classes * side * side)
    throw new Error(`parsingMaskInImage: ${logits.length} logits are not ${classes}×${side}×${side}`);
  const S = spec.size,
    plane = side * side;
  const ty = bilinearTaps(side, S),
    tx = bilinearTaps(side, S);
  const memo = new Int16Array(S * S).fill(-1);
  const labelAt = (x: number, y: number): number => {
    const k = y * S + x;
    const cached = memo[k];
    if (cached >= 0) return cached;
    const r0 = ty.i0[y] * side,
      r1 = ty.i1[y] * side,
      wy = ty.w1[y],
      wx = tx.w1[x];
    const a = r0 + tx.i0[x],
      b = r0 + tx.i1[x],
      c = r1 + tx.i0[x],
      d = r1 + tx.i1[x];
    let best = 0,
      bestV = -Infinity;
    for (let q = 0, o = 0; q < classes; q++, o += plane) {
      const top = logits[o + a] * (1 - wx) + logits[o + b] * wx;
      const bottom = logits[o + c] * (1 - wx) + logits[o + d] * wx;
      const v = Math.fround(top * (1 - wy) + bottom * wy);
      if (v > bestV) {
        bestV = v;
        best = q;
      }
    }
    memo[k] = best;
    return best;
  };
  return cropLabelsToImage(spec, imageWidth, imageHeight, labelAt);
}
