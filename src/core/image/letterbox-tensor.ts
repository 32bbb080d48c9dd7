/**
 * RGBA image → letterboxed NHWC float tensor in [-1, 1] (BlazeFace input), straight from the source bytes:
 * no intermediate image, no per-pixel floats of the source — only the S×S×3 output is allocated (and it can be
 * reused across frames).
 *
 * Downscaling prefilter: each output pixel averages an n×n grid of point samples spread evenly over its
 * footprint in the source, with n = ceil(ratio / 3) (ratio = source pixels per output pixel), capped by
 * `maxTaps` (default 8). Samples are ≤ 3 source pixels apart up to ratio 24: a box prefilter that keeps small
 * faces in large photos from aliasing, while a 1280×720 frame → 128 costs 4×4 samples per output pixel
 * (the bench target: everything but session.run ≤ 20 % of a detection frame). Beyond ratio 24 (e.g. a
 * 12000×12000 photo → 256, ratio 47) the cap bounds the cost and samples spread further apart.
 * Padding is black (-1), as MediaPipe's CPU converter pads with zero pixels.
 */
import type { RgbaImage } from '../types.ts';
import { computeLetterbox, type Letterbox } from '../geometry/letterbox.ts';

/** 16² samples × 255 still fits the 16-bit lanes of the fast path. */
const MAX_TAPS = 16;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

export interface LetterboxTensorOptions {
  /** Upper bound on samples per axis per output pixel (cost grows with its square). Default 8, at most 16. */
  readonly maxTaps?: number;
  /** Reuse this buffer (length size·size·3) instead of allocating. */
  readonly out?: Float32Array;
}

export interface LetterboxTensor {
  readonly data: Float32Array;
  readonly dims: readonly [1, number, number, 3];
  readonly letterbox: Letterbox;
  /** Samples per axis used for each output pixel. */
  readonly taps: number;
}

export function validateRgbaImage(image: RgbaImage): void {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`Invalid image size ${width}×${height}: width and height must be positive integers`);
  }
  if (data.length !== width * height * 4) {
    throw new Error(`Invalid RGBA image: ${width}×${height} needs ${width * height * 4} bytes, got ${data.length}`);
  }
}

/**
 * For each output index along one axis: `taps` source indices (times `stride`), or -1 where the output pixel's
 * centre falls in the padding.
 */
function sampleOffsets(
  outSize: number,
  srcSize: number,
  scale: number,
  pad: number,
  taps: number,
  stride: number,
): Int32Array {
  // Pixel indices fit Int32: an RGBA image of 2^31 pixels would need an 8 GiB buffer, beyond what JS engines
  // allocate. Integer indices keep the hot loop free of double→int conversions.
  const offsets = new Int32Array(outSize * taps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5 - pad) / scale;
    const inside = centre >= 0 && centre < srcSize;
    const start = (o - pad) / scale;
    const step = 1 / scale / taps;
    for (let t = 0; t < taps; t++) {
      if (!inside) {
        offsets[o * taps + t] = -1;
        continue;
      }
      const s = Math.min(srcSize - 1, Math.max(0, Math.floor(start + (t + 0.5) * step)));
      offsets[o * taps + t] = s * stride;
    }
  }
  return offsets;
}

/** [first, end) output indices whose samples lie in the image (the letterbox content is one contiguous run). */
function contentRange(offsets: Int32Array, taps: number): [number, number] {
  const n = offsets.length / taps;
  let first = 0;
  while (first < n && offsets[first * taps] < 0) first++;
  let end = n;
  while (end > first && offsets[(end - 1) * taps] < 0) end--;
  return [first, end];
}

export function rgbaToLetterboxTensor(
  image: RgbaImage,
  size: number,
  options: LetterboxTensorOptions = {},
): LetterboxTensor {
  validateRgbaImage(image);
  const letterbox = computeLetterbox(image.width, image.height, size);
  const ratio = 1 / letterbox.scale;
  const taps = Math.max(1, Math.min(options.maxTaps ?? 8, MAX_TAPS, Math.ceil(ratio / 3)));
  const data = options.out ?? new Float32Array(size * size * 3);
  if (data.length !== size * size * 3)
    throw new Error(`Output buffer has ${data.length} floats, expected ${size * size * 3}`);

  // Pixel indices (not byte offsets) of the samples: column index, and row index × width.
  const xs = sampleOffsets(size, image.width, letterbox.scale, letterbox.padX, taps, 1);
  const ys = sampleOffsets(size, image.height, letterbox.scale, letterbox.padY, taps, image.width);
  const norm = 1 / (127.5 * taps * taps);
  // Padding first, then only the content rectangle: no per-pixel "inside?" branch in the hot loop.
  data.fill(-1);
  const [x0, x1] = contentRange(xs, taps);
  const [y0, y1] = contentRange(ys, taps);
  if (LITTLE_ENDIAN && image.data.byteOffset % 4 === 0) {
    // Fast path: one 32-bit load per sample; R and B are summed together in separate 16-bit lanes
    // (taps² ≤ 256 samples × 255 < 2^16, so the lanes never carry into each other).
    const px = new Uint32Array(image.data.buffer, image.data.byteOffset, image.width * image.height);
    for (let oy = y0; oy < y1; oy++) {
      let o = (oy * size + x0) * 3;
      if (taps === 1) {
        const row = ys[oy];
        for (let ox = x0; ox < x1; ox++, o += 3) {
          const p = px[row + xs[ox]];
          data[o] = (p & 0xff) * norm - 1;
          data[o + 1] = ((p >>> 8) & 0xff) * norm - 1;
          data[o + 2] = ((p >>> 16) & 0xff) * norm - 1;
        }
        continue;
      }
      const yb = oy * taps;
      if (taps === 2) {
        // The common photo case (≈ 2.5–4 source px per output px), unrolled.
        const r0 = ys[yb],
          r1 = ys[yb + 1];
        for (let ox = x0; ox < x1; ox++, o += 3) {
          const c0 = xs[2 * ox],
            c1 = xs[2 * ox + 1];
          const a = px[r0 + c0],
            b = px[r0 + c1],
            c = px[r1 + c0],
            d = px[r1 + c1];
          const rb = (a & 0xff00ff) + (b & 0xff00ff) + (c & 0xff00ff) + (d & 0xff00ff);
          const g = ((a >>> 8) & 0xff) + ((b >>> 8) & 0xff) + ((c >>> 8) & 0xff) + ((d >>> 8) & 0xff);
          data[o] = (rb & 0xffff) * norm - 1;
          data[o + 1] = g * norm - 1;
          data[o + 2] = (rb >>> 16) * norm - 1;
        }
        continue;
      }
      for (let ox = x0; ox < x1; ox++, o += 3) {
        const xb = ox * taps;
        let rb = 0,
          g = 0;
        for (let ty = 0; ty < taps; ty++) {
          const row = ys[yb + ty];
          for (let tx = 0; tx < taps; tx++) {
            const p = px[row + xs[xb + tx]];
            rb += p & 0xff00ff;
            g += (p >>> 8) & 0xff;
          }
        }
        data[o] = (rb & 0xffff) * norm - 1;
        data[o + 1] = g * norm - 1;
        data[o + 2] = (rb >>> 16) * norm - 1;
      }
    }
  } else {
    const src = image.data;
    for (let oy = y0; oy < y1; oy++) {
      let o = (oy * size + x0) * 3;
      for (let ox = x0; ox < x1; ox++, o += 3) {
        let r = 0,
          g = 0,
          b = 0;
        for (let ty = 0; ty < taps; ty++) {
          const row = ys[oy * taps + ty];
          for (let tx = 0; tx < taps; tx++) {
            const p = (row + xs[ox * taps + tx]) * 4;
            r += src[p];
            g += src[p + 1];
            b += src[p + 2];
          }
        }
        data[o] = r * norm - 1;
        data[o + 1] = g * norm - 1;
        data[o + 2] = b * norm - 1;
      }
    }
  }
  return { data, dims: [1, size, size, 3], letterbox, taps };
}
