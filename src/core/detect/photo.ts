/**
 * Photo detection plan: every face a person sees, from close-ups to a crowd. BlazeFace sees the whole image at
 * 128 or 256 px, so a face needs roughly 1/10 (128) or 1/16 (256) of the long side to be found; group photos have
 * smaller faces. The photo mode therefore runs
 *   1. the 128 model on the whole image (close faces),
 *   2. the 256 model on the whole image (medium faces),
 *   3. on large images, the 256 model on overlapping square tiles (small faces: a 512 px tile is seen at half size),
 * and merges everything with MediaPipe's weighted NMS in image pixels (a face found by several passes becomes one).
 * A tile detection touching an inner tile edge is dropped: the face is cut there, and the overlap guarantees that
 * any face up to `overlap` pixels lies whole in a neighbouring tile (larger faces are the whole-image passes' job).
 * Pure: the pipeline runs the passes; this file plans tiles and merges.
 */
import type { Detection, Point } from '../types.ts';
import { weightedNonMaxSuppression, type NmsOptions } from './nms.ts';
import type { NormalizedDetection } from './decode.ts';

export interface Tile {
  readonly x: number;
  readonly y: number;
  /** Square side in pixels (the image's short side when that is smaller than the planned tile). */
  readonly size: number;
}

export interface TilePlanOptions {
  /** Tile only when the long side exceeds this (default 640: the 256 model then sees ≤ 2.5× downscaled faces). */
  readonly minLongSide?: number;
  /** Smallest tile side (default 512: a 256-model pass at half size). */
  readonly minTile?: number;
  /** At most this many tiles along the long side (default 4): bounds the cost on huge photos. */
  readonly maxAlongLong?: number;
}

/** Evenly spread starts of `count` windows of `size` covering [0, length). */
function starts(length: number, size: number, count: number): number[] {
  if (count <= 1) return [0];
  const step = (length - size) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.round(i * step));
}

/**
 * Overlapping square tiles covering the image, or [] when the image is small enough for the whole-image passes.
 * Tile side: max(minTile, long side / maxAlongLong), at most the short side; overlap ≥ a third of the side.
 */
export function planPhotoTiles(width: number, height: number, options: TilePlanOptions = {}): Tile[] {
  const long = Math.max(width, height),
    short = Math.min(width, height);
  if (!(long > (options.minLongSide ?? 640))) return [];
  const size = Math.min(short, Math.max(options.minTile ?? 512, Math.ceil(long / (options.maxAlongLong ?? 4))));
  const overlap = Math.ceil(size / 3);
  const count = (length: number) => (length <= size ? 1 : Math.ceil((length - overlap) / (size - overlap)));
  const xs = starts(width, size, count(width)),
    ys = starts(height, size, count(height));
  return ys.flatMap((y) => xs.map((x) => ({ x, y, size })));
}

/**
 * True when the box reaches within `margin` px of a tile edge that is inside the image (the face may be cut
 * there). Edges on the image border do not count: a face cut by the photo's own edge is still a face.
 */
export function touchesInnerEdge(d: Detection, tile: Tile, width: number, height: number, margin = 2): boolean {
  const { x, y, width: w, height: h } = d.box;
  const left = tile.x > 0 && x - tile.x < margin;
  const top = tile.y > 0 && y - tile.y < margin;
  const right = tile.x + tile.size < width && tile.x + tile.size - (x + w) < margin;
  const bottom = tile.y + tile.size < height && tile.y + tile.size - (y + h) < margin;
  return left || top || right || bottom;
}

/** Moves a detection found in a tile (tile pixels) into image pixels. */
export function tileToImage(d: Detection, tile: Tile): Detection {
  return {
    box: { x: d.box.x + tile.x, y: d.box.y + tile.y, width: d.box.width, height: d.box.height },
    score: d.score,
    keypoints: d.keypoints.map(([px, py]): Point => [px + tile.x, py + tile.y]),
  };
}

/** Share of `inner`'s area that lies inside `outer`. */
function containedShare(inner: Detection['box'], outer: Detection['box']): number {
  const iw = Math.min(inner.x + inner.width, outer.x + outer.width) - Math.max(inner.x, outer.x);
  const ih = Math.min(inner.y + inner.height, outer.y + outer.height) - Math.max(inner.y, outer.y);
  return iw > 0 && ih > 0 ? (iw * ih) / (inner.width * inner.height) : 0;
}

/** Same face: boxes overlapping by IoU > 0.3, or one lying mostly (> 60 %) inside the other. */
export function overlapsFace(a: Detection, b: Detection): boolean {
  const share = Math.max(containedShare(a.box, b.box), containedShare(b.box, a.box));
  if (share > 0.6) return true;
  const inter = containedShare(a.box, b.box) * a.box.width * a.box.height;
  return inter / (a.box.width * a.box.height + b.box.width * b.box.height - inter) > 0.3;
}

/**
 * Weighted NMS over detections of several passes, in image pixels (NMS only compares boxes, units do not matter).
 * Passes at different scales can see one big face twice — whole, and a part of it as a small "face" in a tile —
 * with a low IoU; faces in a photo do not sit mostly inside one another, so a box lying mostly (> 60 %) inside a
 * larger kept box is dropped as such a duplicate.
 */
export function mergeDetections(detections: readonly Detection[], options: NmsOptions = {}): Detection[] {
  const merged = weightedNms(detections, { ...options, maxDetections: Infinity });
  const bySize = [...merged].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  const kept = new Set<Detection>();
  for (const d of bySize) if (![...kept].some((k) => containedShare(d.box, k.box) > 0.6)) kept.add(d);
  return merged.filter((d) => kept.has(d)).slice(0, options.maxDetections ?? Infinity);
}

function weightedNms(detections: readonly Detection[], options: NmsOptions): Detection[] {
  const asBoxes: NormalizedDetection[] = detections.map((d) => ({
    xMin: d.box.x,
    yMin: d.box.y,
    xMax: d.box.x + d.box.width,
    yMax: d.box.y + d.box.height,
    score: d.score,
    keypoints: Float32Array.from(d.keypoints.flat()),
  }));
  return weightedNonMaxSuppression(asBoxes, options).map((m) => {
    const keypoints: Point[] = [];
    for (let k = 0; k < m.keypoints.length; k += 2) keypoints.push([m.keypoints[k], m.keypoints[k + 1]]);
    return {
      box: { x: m.xMin, y: m.yMin, width: m.xMax - m.xMin, height: m.yMax - m.yMin },
      score: m.score,
      keypoints,
    };
  });
}
