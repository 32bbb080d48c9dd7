/**
 * Decoding of Faceptor's raw outputs into results (docs/model.md §6, §8). Pure functions over typed arrays:
 * no runtime, no DOM. Labels and colours come from the task registry (tasks.ts). Every function validates the
 * size of what it is given and throws a clear error instead of decoding garbage.
 *
 * Results are plain JSON-friendly objects (number[] rather than typed arrays where they leave the core).
 */
import type { Point } from '../types.ts';
import type { CropSpec } from '../align/crops.ts';
import { applyAffine, invertAffine } from '../align/affine.ts';
import { cropPointToImage, imagePointToCrop } from '../image/warp.ts';
import {
  CELEBA_ATTRIBUTES,
  EXPRESSION_LABELS,
  LAYER_ATTENTION_BLOCKS,
  type AttributeName,
  type ExpressionLabel,
} from './tasks.ts';

/** Any indexable run of numbers: Float32Array, a subarray of a batch, number[]. */
export type Floats = ArrayLike<number>;

function expectLength(values: Floats, expected: number, what: string): void {
  if (!values || values.length !== expected) {
    throw new Error(`${what}: expected ${expected} values, got ${values?.length ?? 'none'}`);
  }
}

/** Numerically safe logistic function. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

// -------------------------------------------------------------------------------------- age (docs/model.md §8.2, DLDL)

export interface AgeResult {
  /** Expected age Σ k·p_k in years. */
  readonly years: number;
  /** p_k for k = 0..100 (sums to 1). */
  readonly distribution: number[];
}

/** Age: p = sigmoid(z), L1-normalised, age = Σ k·p_k (not a softmax). Input: the 101 logits of one face. */
export function decodeAge(logits: Floats): AgeResult {
  expectLength(logits, 101, 'decodeAge');
  const p = Array.from(logits, sigmoid);
  const sum = p.reduce((a, b) => a + b, 0);
  if (!(sum > 0) || !Number.isFinite(sum)) throw new Error('decodeAge: logits are not finite numbers');
  let years = 0;
  const distribution = p.map((v, k) => {
    const q = v / sum;
    years += k * q;
    return q;
  });
  return { years, distribution };
}

// ------------------------------------------------------------------------------------------------- expression

export interface ExpressionResult {
  /** Label of the most probable class (the official decode is this arg-max). */
  readonly top: ExpressionLabel;
  readonly topIndex: number;
  /** Softmax probability per label, in the registry's (AffectNet) order. */
  readonly probs: Record<ExpressionLabel, number>;
}

export function softmax(logits: Floats): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  if (!Number.isFinite(max)) throw new Error('softmax: logits are not finite numbers');
  const e = Array.from(logits, (z) => Math.exp(z - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Expression: softmax over the 7 logits with the registry's labels, plus the arg-max. */
export function decodeExpression(
  logits: Floats,
  labels: readonly ExpressionLabel[] = EXPRESSION_LABELS,
): ExpressionResult {
  expectLength(logits, labels.length, 'decodeExpression');
  const p = softmax(logits);
  let topIndex = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[topIndex]) topIndex = i;
  const probs = {} as Record<ExpressionLabel, number>;
  labels.forEach((name, i) => {
    probs[name] = p[i];
  });
  return { top: labels[topIndex], topIndex, probs };
}

// ------------------------------------------------------------------------------------------------- attributes

/** Attributes: sigmoid probability per CelebA attribute name. */
export function decodeAttributes(
  logits: Floats,
  labels: readonly AttributeName[] = CELEBA_ATTRIBUTES,
): Record<AttributeName, number> {
  expectLength(logits, labels.length, 'decodeAttributes');
  const out = {} as Record<AttributeName, number>;
  labels.forEach((name, i) => {
    if (!Number.isFinite(logits[i])) throw new Error(`decodeAttributes: logit ${i} (${name}) is not a finite number`);
    out[name] = sigmoid(logits[i]);
  });
  return out;
}

/** Names of the attributes that are present (official rule: sigmoid > 0.5). */
export function presentAttributes(probs: Readonly<Record<AttributeName, number>>, threshold = 0.5): AttributeName[] {
  return (Object.keys(probs) as AttributeName[]).filter((k) => probs[k] > threshold);
}

// -------------------------------------------------------------------------------------------------- landmarks

/**
 * AlignOutput (docs/model.md §6.5) for one heatmap of `width`×`height` raw logits starting at `offset`:
 * p = sigmoid, soft-argmax over the whole map (den = max(Σp, 1e-6)), normalised n = ((x + 0.5)/W, (y + 0.5)/H).
 */
export function softArgmax(heatmap: Floats, width: number, height: number, offset = 0): Point {
  if (heatmap.length < offset + width * height)
    throw new Error(`softArgmax: heatmap holds ${heatmap.length} values, needs ${offset + width * height}`);
  let sp = 0,
    sx = 0,
    sy = 0;
  for (let y = 0, i = offset; y < height; y++) {
    let rowSum = 0,
      rowX = 0;
    for (let x = 0; x < width; x++, i++) {
      const p = sigmoid(heatmap[i]);
      rowSum += p;
      rowX += p * x;
    }
    sp += rowSum;
    sx += rowX;
    sy += rowSum * y;
  }
  if (!Number.isFinite(sp)) throw new Error('softArgmax: heatmap is not finite');
  const den = Math.max(sp, 1e-6);
  return [(sx / den + 0.5) / width, (sy / den + 0.5) / height];
}

export interface LandmarkResult {
  /** Normalised (x, y) in [0, 1] of the crop, as the network reports them. */
  readonly normalised: Point[];
  /** Crop pixels: n·size − 0.5. */
  readonly crop: Point[];
  /** Source-image pixels: the crop pixels through the inverse crop transform. */
  readonly image: Point[];
}

/** Landmarks from normalised points ([Q, 2] flattened, x then y), mapped back through the crop (docs/model.md §3.3). */
export function landmarksFromNormalised(normalised: Floats, points: number, spec: CropSpec): LandmarkResult {
  expectLength(normalised, points * 2, 'landmarksFromNormalised');
  const n: Point[] = [],
    crop: Point[] = [],
    image: Point[] = [];
  for (let q = 0; q < points; q++) {
    const nx = normalised[2 * q],
      ny = normalised[2 * q + 1];
    if (!Number.isFinite(nx) || !Number.isFinite(ny))
      throw new Error(`landmarksFromNormalised: point ${q} is not finite`);
    const u = nx * spec.size - 0.5,
      v = ny * spec.size - 0.5;
    n.push([nx, ny]);
    crop.push([u, v]);
    image.push(cropPointToImage(spec, u, v));
  }
  return { normalised: n, crop, image };
}

/** Landmarks from raw heatmaps [Q, side, side] (one face), via soft-argmax, then back to the image. */
export function landmarksFromHeatmaps(heatmaps: Floats, points: number, side: number, spec: CropSpec): LandmarkResult {
  expectLength(heatmaps, points * side * side, 'landmarksFromHeatmaps');
  const n = new Float64Array(points * 2);
  for (let q = 0; q < points; q++) {
    const [x, y] = softArgmax(heatmaps, side, side, q * side * side);
    n[2 * q] = x;
    n[2 * q + 1] = y;
  }
  return landmarksFromNormalised(n, points, spec);
}

// ---------------------------------------------------------------------------------------------------- parsing

export interface AxisTaps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w1: Float64Array;
}

/** docs/model.md §6.4 per axis: src = max((i + 0.5)·in/out − 0.5, 0), i0 = floor, i1 = min(i0 + 1, in − 1). */
export function bilinearTaps(inSize: number, outSize: number): AxisTaps {
  const i0 = new Int32Array(outSize),
    i1 = new Int32Array(outSize),
    w1 = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = Math.max((i + 0.5) * scale - 0.5, 0);
    const f = Math.floor(src);
    i0[i] = Math.min(f, inSize - 1);
    i1[i] = Math.min(f + 1, inSize - 1);
    w1[i] = src - f;
  }
  return { i0, i1, w1 };
}

function checkLogits(logits: Floats, classes: number, inH: number, inW: number, what: string): void {
  if (!(classes > 0) || classes > 255) throw new Error(`${what}: class count ${classes} out of range`);
  expectLength(logits, classes * inH * inW, what);
}

/** NCHW [Q, H, W] → HWC copy so that the classes of a pixel are contiguous. */
function toHwc(logits: Floats, classes: number, plane: number): Float32Array {
  const hwc = new Float32Array(classes * plane);
  for (let q = 0; q < classes; q++) for (let i = 0; i < plane; i++) hwc[i * classes + q] = logits[q * plane + i];
  return hwc;
}

/**
 * ParsingOutput exactly as docs/model.md §6.4: bilinear resize (PyTorch align_corners=False = ONNX half_pixel) of the
 * [Q, inH, inW] logits of one face to outH×outW, returned NHWC [outH, outW, Q] like the official map.
 */
export function upsampleParsingLogits(
  logits: Floats,
  classes: number,
  inH: number,
  inW: number,
  outH = 512,
  outW = 512,
): Float32Array {
  checkLogits(logits, classes, inH, inW, 'upsampleParsingLogits');
  const hwc = toHwc(logits, classes, inH * inW);
  const ty = bilinearTaps(inH, outH),
    tx = bilinearTaps(inW, outW);
  const out = new Float32Array(outH * outW * classes);
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const r0 = ty.i0[y] * inW,
      r1 = ty.i1[y] * inW,
      wy = ty.w1[y];
    for (let x = 0; x < outW; x++) {
      const wx = tx.w1[x];
      const a = (r0 + tx.i0[x]) * classes,
        b = (r0 + tx.i1[x]) * classes,
        c = (r1 + tx.i0[x]) * classes,
        d = (r1 + tx.i1[x]) * classes;
      for (let q = 0; q < classes; q++, o++) {
        const top = hwc[a + q] * (1 - wx) + hwc[b + q] * wx;
        const bottom = hwc[c + q] * (1 - wx) + hwc[d + q] * wx;
        out[o] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

/** Arg-max over the last axis of an NHWC map (first maximum wins, like torch/numpy). */
export function argmaxLastAxis(map: Floats, classes: number): Uint8Array {
  if (map.length % classes !== 0) throw new Error('argmaxLastAxis: length is not a multiple of the class count');
  const n = map.length / classes;
  const labels = new Uint8Array(n);
  for (let i = 0, o = 0; i < n; i++, o += classes) {
    let best = 0,
      bestV = map[o];
    for (let q = 1; q < classes; q++)
      if (map[o + q] > bestV) {
        bestV = map[o + q];
        best = q;
      }
    labels[i] = best;
  }
  return labels;
}

/**
 * Labels of the docs/model.md §6.4 map (upsample + arg-max) without materialising the outH×outW×Q float map: same
 * arithmetic as `upsampleParsingLogits`, one pixel at a time (≈1 MB less garbage per face and frame).
 */
export function parsingLabels(
  logits: Floats,
  classes: number,
  inH: number,
  inW: number,
  outH = 512,
  outW = 512,
): Uint8Array {
  checkLogits(logits, classes, inH, inW, 'parsingLabels');
  const hwc = toHwc(logits, classes, inH * inW);
  const ty = bilinearTaps(inH, outH),
    tx = bilinearTaps(inW, outW);
  const labels = new Uint8Array(outH * outW);
  for (let y = 0, o = 0; y < outH; y++) {
    const r0 = ty.i0[y] * inW,
      r1 = ty.i1[y] * inW,
      wy = ty.w1[y];
    for (let x = 0; x < outW; x++, o++) {
      const wx = tx.w1[x];
      const a = (r0 + tx.i0[x]) * classes,
        b = (r0 + tx.i1[x]) * classes,
        c = (r1 + tx.i0[x]) * classes,
        d = (r1 + tx.i1[x]) * classes;
      let best = 0,
        bestV = -Infinity;
      for (let q = 0; q < classes; q++) {
        const top = hwc[a + q] * (1 - wx) + hwc[b + q] * wx;
        const bottom = hwc[c + q] * (1 - wx) + hwc[d + q] * wx;
        const v = Math.fround(top * (1 - wy) + bottom * wy); // same float32 rounding as the materialised map
        if (v > bestV) {
          bestV = v;
          best = q;
        }
      }
      labels[o] = best;
    }
  }
  return labels;
}

/** Label map → RGBA (ImageData layout) with the registry colours; class 0 (background) is transparent. */
export function colourLabels(
  labels: Uint8Array,
  colours: readonly (readonly [number, number, number])[],
  alpha = 255,
): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(labels.length * 4);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === 0) continue;
    const c = colours[l];
    if (!c) throw new Error(`colourLabels: label ${l} has no colour (registry has ${colours.length})`);
    rgba[4 * i] = c[0];
    rgba[4 * i + 1] = c[1];
    rgba[4 * i + 2] = c[2];
    rgba[4 * i + 3] = alpha;
  }
  return rgba;
}

/** A label mask placed in source-image coordinates: `labels` covers the rectangle (x, y, width, height). */
export interface ImageMask {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly labels: Uint8Array;
}

/**
 * Bounding rectangle (whole image pixels, clipped to the image) of the image pixels that land inside the crop.
 * Similarity crops: the crop square's outer edges mapped back. Tanh-warped crops: the warp squeezes an unbounded
 * field of view towards the border, so we bound it where the warped coordinate reaches the last half pixel
 * (a_w = 1 − 1/S, i.e. |a| ≤ (1−f) + f·atanh((1 − 1/S − (1−f))/f) ≈ 2.76 for LaPa); beyond that a pixel's
 * nearest crop pixel is off the map. (The official bilinear decode would still give those far pixels a small
 * weight of the border row, i.e. the border's label; we leave them unlabelled.)
 */
export function cropFootprint(
  spec: CropSpec,
  imageWidth: number,
  imageHeight: number,
): { x: number; y: number; width: number; height: number } {
  const S = spec.size;
  const f = spec.tanhWarp;
  let lo = -0.5,
    hi = S - 0.5;
  if (f) {
    const band = 1 - f;
    const aLim = band + f * Math.atanh(Math.min((1 - 1 / S - band) / f, 0.999999));
    lo = ((1 - aLim) / 2) * S;
    hi = ((1 + aLim) / 2) * S;
  }
  const inv = invertAffine(spec.matrix);
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -Infinity,
    y1 = -Infinity;
  for (const [u, v] of [
    [lo, lo],
    [hi, lo],
    [lo, hi],
    [hi, hi],
  ] as const) {
    const [x, y] = applyAffine(inv, u, v); // corners of the aligned square: its image is a rotated square
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  // pixel centres (integers) inside the outer edges; the epsilon absorbs rounding of exact edges
  const left = Math.max(0, Math.ceil(x0 - 1e-9)),
    top = Math.max(0, Math.ceil(y0 - 1e-9));
  const right = Math.min(imageWidth - 1, Math.floor(x1 + 1e-9)),
    bottom = Math.min(imageHeight - 1, Math.floor(y1 + 1e-9));
  return { x: left, y: top, width: Math.max(0, right - left + 1), height: Math.max(0, bottom - top + 1) };
}

/**
 * Crop-space labels (size×size, e.g. `parsingLabels`) → image-space labels by nearest lookup: every image pixel
 * of the crop's footprint is mapped into the crop (M, then the tanh warp for LaPa); pixels that fall outside
 * the crop get 0 (for the tanh warp, "in the crop" is |a_w| < 1 − 1/S, see below). Cheap enough for video overlays.
 */
export function labelsToImage(labels: Uint8Array, spec: CropSpec, imageWidth: number, imageHeight: number): ImageMask {
  const S = spec.size;
  expectLength(labels, S * S, 'labelsToImage');
  return cropLabelsToImage(spec, imageWidth, imageHeight, (u, v) => labels[v * S + u]);
}

/**
 * The image-space walk shared by every crop-label lookup: for each image pixel of the crop's footprint, map it into
 * the crop and ask `labelAt(u, v)` (integer crop pixel) for its label; pixels outside the crop stay 0.
 */
export function cropLabelsToImage(
  spec: CropSpec,
  imageWidth: number,
  imageHeight: number,
  labelAt: (u: number, v: number) => number,
): ImageMask {
  const S = spec.size;
  const box = cropFootprint(spec, imageWidth, imageHeight);
  const out = new Uint8Array(box.width * box.height);
  // The tanh warp maps the whole plane into (0, S): its low side never leaves the crop, and row/column 0 would
  // paint the entire far field. Use the border symmetric to S − 0.5 about the warp's centre S/2 instead.
  const minUv = spec.tanhWarp ? 0.5 : -0.5,
    maxUv = S - 0.5;
  for (let j = 0, o = 0; j < box.height; j++) {
    for (let i = 0; i < box.width; i++, o++) {
      const [u, v] = imagePointToCrop(spec, box.x + i, box.y + j);
      if (u >= minUv && v >= minUv && u < maxUv && v < maxUv) out[o] = labelAt(Math.round(u), Math.round(v));
    }
  }
  return { ...box, labels: out };
}

/**
 * The official image-space decode (docs/model.md §3.5 "back to the image"): for every image pixel of the crop's
 * footprint, sample the NHWC size×size×Q logit map bilinearly at its crop position (taps outside the map read 0) and
 * take the arg-max. Exact but Q× the work of `labelsToImage`: use it for still images.
 */
export function logitsToImage(
  mapNhwc: Floats,
  classes: number,
  spec: CropSpec,
  imageWidth: number,
  imageHeight: number,
): ImageMask {
  const S = spec.size;
  expectLength(mapNhwc, S * S * classes, 'logitsToImage');
  const box = cropFootprint(spec, imageWidth, imageHeight);
  const out = new Uint8Array(box.width * box.height);
  const acc = new Float64Array(classes);
  for (let j = 0, o = 0; j < box.height; j++) {
    for (let i = 0; i < box.width; i++, o++) {
      const [u, v] = imagePointToCrop(spec, box.x + i, box.y + j);
      const u0 = Math.floor(u),
        v0 = Math.floor(v);
      if (u0 < -1 || v0 < -1 || u0 >= S || v0 >= S) continue; // no tap inside: all logits 0 → arg-max 0
      const fu = u - u0,
        fv = v - v0;
      acc.fill(0);
      for (let k = 0; k < 4; k++) {
        const tu = u0 + (k & 1),
          tv = v0 + (k >> 1);
        if (tu < 0 || tv < 0 || tu >= S || tv >= S) continue;
        const w = (k & 1 ? fu : 1 - fu) * (k >> 1 ? fv : 1 - fv);
        const base = (tv * S + tu) * classes;
        for (let q = 0; q < classes; q++) acc[q] += w * mapNhwc[base + q];
      }
      let best = 0;
      for (let q = 1; q < classes; q++) if (acc[q] > acc[best]) best = q;
      out[o] = best;
    }
  }
  return { ...box, labels: out };
}

// --------------------------------------------------------------------------------------------------- identity

/** L2-normalised copy of an embedding (the recognition head's output is not normalised, docs/model.md §6.1). */
export function l2Normalize(embedding: Floats): Float32Array {
  let s = 0;
  for (let i = 0; i < embedding.length; i++) s += embedding[i] * embedding[i];
  if (!(s > 0) || !Number.isFinite(s)) throw new Error('l2Normalize: embedding is zero or not finite');
  const inv = 1 / Math.sqrt(s);
  return Float32Array.from(embedding, (v) => v * inv);
}

// ------------------------------------------------------------------------------------------- layer attention

export interface LevelMass {
  /** Backbone block the level reads (LAYER_ATTENTION_BLOCKS order: 11, 1, 3, 5, 7, 9). */
  readonly block: number;
  /** Share of the cross-attention mass on this level, in [0, 1]; the shares sum to 1. */
  readonly fraction: number;
}

/**
 * Layer-Attention (docs/model.md §5.4): how much of a task's cross-attention mass falls on each memory level.
 * `weights` holds one or more attention tensors (e.g. one per decoder layer), each laid out
 * [rows, levels·tokensPerLevel] where rows = any leading axes flattened (heads × queries, or queries when the
 * weights are head-averaged as the official layer stores them). Level j covers tokens [j·S², (j+1)·S²).
 * Softmax rows each sum to 1, so the pooled share equals the mean of the per-row shares.
 */
export function layerAttentionMass(
  weights: Floats | readonly Floats[],
  shape: { readonly levels: number; readonly tokensPerLevel: number },
  blocks: readonly number[] = LAYER_ATTENTION_BLOCKS,
): LevelMass[] {
  const { levels, tokensPerLevel } = shape;
  if (!(levels > 0) || !(tokensPerLevel > 0))
    throw new Error('layerAttentionMass: levels and tokens per level must be positive');
  if (blocks.length < levels)
    throw new Error(`layerAttentionMass: ${levels} levels but only ${blocks.length} block numbers`);
  const tensors: readonly Floats[] = isFloatsList(weights) ? weights : [weights];
  if (tensors.length === 0) throw new Error('layerAttentionMass: no attention weights given');
  const rowLen = levels * tokensPerLevel;
  const mass = new Float64Array(levels);
  for (const w of tensors) {
    if (w.length === 0 || w.length % rowLen !== 0) {
      throw new Error(
        `layerAttentionMass: ${w.length} weights are not whole rows of ${levels}×${tokensPerLevel} tokens`,
      );
    }
    for (let r = 0; r < w.length; r += rowLen) {
      for (let j = 0, i = r; j < levels; j++) {
        let m = 0;
        for (const end = i + tokensPerLevel; i < end; i++) m += w[i];
        mass[j] += m;
      }
    }
  }
  const total = mass.reduce((a, b) => a + b, 0);
  if (!(total > 0) || !Number.isFinite(total))
    throw new Error('layerAttentionMass: attention weights have no positive mass');
  return Array.from(mass, (m, j) => ({ block: blocks[j], fraction: m / total }));
}

function isFloatsList(w: Floats | readonly Floats[]): w is readonly Floats[] {
  return Array.isArray(w) && (w.length === 0 || typeof w[0] !== 'number');
}
