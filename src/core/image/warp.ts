/**
 * Renders a network input from a crop spec (docs/model.md §3.2): every output pixel (u, v) is inverse-mapped
 * to the source image through the optional tanh warp and M⁻¹, the [0,1] image is sampled bilinearly there, and
 * pixels outside the image read 0 (so after normalisation the padding is −mean/std, as in OpenCV's constant
 * border). Output: NCHW float32 [1, 3, S, S], RGB, normalised per channel.
 *
 * Sampling uses exact float weights where OpenCV `remap` quantises them to 1/32 pixel; the difference is at most
 * 1/64 of a neighbouring-pixel difference, far below the network's sensitivity.
 */
import type { RgbaImage } from '../types.ts';
import { type Affine, applyAffine, invertAffine } from '../align/affine.ts';
import type { CropSpec } from '../align/crops.ts';
import { tanhAlignedToOutput, tanhOutputToAligned } from '../align/tanhWarp.ts';

export interface Normalisation {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

function checkImage(image: RgbaImage): void {
  if (
    !image ||
    !(image.width > 0) ||
    !(image.height > 0) ||
    !Number.isInteger(image.width) ||
    !Number.isInteger(image.height)
  ) {
    throw new Error('warpCrop: image has no pixels');
  }
  if (!image.data || image.data.length < image.width * image.height * 4) {
    throw new Error(
      `warpCrop: image data holds ${image.data?.length ?? 0} bytes, ${image.width}×${image.height} RGBA needs ${image.width * image.height * 4}`,
    );
  }
}

/** Aligned-frame coordinate of every output column/row (identity without a warp). */
function axisTable(size: number, f: number | undefined): Float64Array {
  const t = new Float64Array(size);
  for (let i = 0; i < size; i++) t[i] = f ? tanhOutputToAligned(i, size, f) : i;
  return t;
}

/**
 * `warpCrop(image, spec, norm, out?)` → Float32Array of 3·S·S values (NCHW [1,3,S,S]).
 * Pass `out` (length ≥ 3·S·S) to reuse a buffer between frames.
 */
export function warpCrop(image: RgbaImage, spec: CropSpec, norm: Normalisation, out?: Float32Array): Float32Array {
  checkImage(image);
  const S = spec.size;
  const plane = S * S;
  if (out && out.length < 3 * plane)
    throw new Error(`warpCrop: output buffer holds ${out.length} values, needs ${3 * plane}`);
  const dst = out ?? new Float32Array(3 * plane);
  const [ia, ib, ic, id, ie, iff] = invertAffine(spec.matrix);
  const W = image.width,
    H = image.height,
    src = image.data;
  // value = (byte/255 − mean)/std = byte·scale + offset
  const s0 = 1 / (255 * norm.std[0]),
    s1 = 1 / (255 * norm.std[1]),
    s2 = 1 / (255 * norm.std[2]);
  const o0 = -norm.mean[0] / norm.std[0],
    o1 = -norm.mean[1] / norm.std[1],
    o2 = -norm.mean[2] / norm.std[2];
  const us = axisTable(S, spec.tanhWarp),
    vs = axisTable(S, spec.tanhWarp);
  const stride = W * 4;
  let o = 0;
  for (let v = 0; v < S; v++) {
    const vv = vs[v];
    const rx = ib * vv + ic,
      ry = ie * vv + iff;
    for (let u = 0; u < S; u++, o++) {
      const uu = us[u];
      const x = ia * uu + rx,
        y = id * uu + ry;
      const x0 = Math.floor(x),
        y0 = Math.floor(y);
      const fx = x - x0,
        fy = y - y0;
      let r = 0,
        g = 0,
        b = 0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
        // fast path: all four taps inside
        const p = y0 * stride + x0 * 4,
          q = p + stride;
        const w00 = (1 - fx) * (1 - fy),
          w01 = fx * (1 - fy),
          w10 = (1 - fx) * fy,
          w11 = fx * fy;
        r = w00 * src[p] + w01 * src[p + 4] + w10 * src[q] + w11 * src[q + 4];
        g = w00 * src[p + 1] + w01 * src[p + 5] + w10 * src[q + 1] + w11 * src[q + 5];
        b = w00 * src[p + 2] + w01 * src[p + 6] + w10 * src[q + 2] + w11 * src[q + 6];
      } else if (x0 >= -1 && y0 >= -1 && x0 < W && y0 < H) {
        // border: taps outside the image read 0
        for (let k = 0; k < 4; k++) {
          const tx = x0 + (k & 1),
            ty = y0 + (k >> 1);
          if (tx < 0 || ty < 0 || tx >= W || ty >= H) continue;
          const w = (k & 1 ? fx : 1 - fx) * (k >> 1 ? fy : 1 - fy);
          const p = ty * stride + tx * 4;
          r += w * src[p];
          g += w * src[p + 1];
          b += w * src[p + 2];
        }
      }
      dst[o] = r * s0 + o0;
      dst[o + plane] = g * s1 + o1;
      dst[o + 2 * plane] = b * s2 + o2;
    }
  }
  return dst;
}

/** Crop pixel (u, v) (network-input coordinates, after any warp) → source-image pixel. */
export function cropPointToImage(spec: CropSpec, u: number, v: number): [number, number] {
  const inv: Affine = invertAffine(spec.matrix);
  const f = spec.tanhWarp;
  return f
    ? applyAffine(inv, tanhOutputToAligned(u, spec.size, f), tanhOutputToAligned(v, spec.size, f))
    : applyAffine(inv, u, v);
}

/**
 * Source-image pixel (x, y) → crop pixel (u, v), through M and then the tanh warp (the parsing inverse of
 * docs/model.md §3.5).
 */
export function imagePointToCrop(spec: CropSpec, x: number, y: number): [number, number] {
  const [ua, va] = applyAffine(spec.matrix, x, y);
  const f = spec.tanhWarp;
  return f ? [tanhAlignedToOutput(ua, spec.size, f), tanhAlignedToOutput(va, spec.size, f)] : [ua, va];
}
