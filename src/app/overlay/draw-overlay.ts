/**
 * The whole overlay of one frame/image, bottom to top: parsing masks, landmark contours and points, then the
 * detector's boxes and keypoints. The canvas has the source's pixel grid (see draw-detections.ts).
 * Landmarks and masks carried from an earlier video frame are drawn moved by the face's denseTransform.
 * Returns counts of what was drawn, which the canvas exposes as data-* attributes for tests.
 */
import type { LandmarkSet } from '../../core/faceptor/tasks.ts';
import type { HoveredPart, OverlayOptions } from '../../state/overlay.ts';
import { drawDetection, overlayUnit } from './draw-detections.ts';
import type { MaskBitmaps } from './mask-bitmaps.ts';
import { labelledPixels } from './mask-bitmaps.ts';
import { alignTaskOf, denseScale, parsingTaskOf, type DenseTransform, type OverlayFace } from './overlay-geometry.ts';

export interface OverlayView extends OverlayOptions {
  readonly hoveredPart: HoveredPart | null;
  /** Face whose panel is hovered or focused: its box is drawn thicker (and even with boxes off). */
  readonly highlightedFace?: number | null;
}

export interface OverlayStats {
  readonly faces: number;
  /** Landmark points drawn, all faces and sets together. */
  readonly landmarkPoints: number;
  /** Contour polylines drawn. */
  readonly contours: number;
  /** Parsing masks drawn (faces × heads) and their non-background pixels. */
  readonly masks: number;
  readonly maskPixels: number;
}

/** Share of the mask opacity the other classes keep while one class is hovered. */
const DIM_OTHERS = 0.35;

/** One colour per landmark set, so two sets drawn together stay apart. */
const SET_COLOURS: Readonly<Record<LandmarkSet['set'], string>> = {
  '300w': '#00e5ff',
  wflw: '#ff4081',
  cofw: '#ffd400',
  aflw: '#9cff57',
};

export function drawOverlay(
  ctx: CanvasRenderingContext2D,
  faces: readonly OverlayFace[],
  view: OverlayView,
  masks: MaskBitmaps,
): OverlayStats {
  const { width, height } = ctx.canvas;
  ctx.clearRect(0, 0, width, height);
  const unit = overlayUnit(width, height);
  const stats = { faces: faces.length, landmarkPoints: 0, contours: 0, masks: 0, maskPixels: 0 };
  for (const face of faces) drawMasks(ctx, face, view, masks, stats);
  for (const face of faces) drawLandmarks(ctx, face, view, unit, stats);
  faces.forEach((face, index) =>
    drawDetection(
      ctx,
      face,
      unit,
      { boxes: view.showBoxes, keypoints: view.showKeypoints },
      { index, highlighted: view.highlightedFace === index },
    ),
  );
  return stats;
}

/**
 * Canvas matrix for a mask moved by `t`. Bitmap pixel k covers canvas [k, k+1) and is source pixel k (centre at k),
 * so the half-pixel shift is taken out before and put back after the similarity: centre k lands on t(k) + ½.
 */
function maskMatrix(t: DenseTransform): [number, number, number, number, number, number] {
  const [a, b, tx, ty] = t;
  return [a, b, -b, a, tx + 0.5 - 0.5 * (a - b), ty + 0.5 - 0.5 * (a + b)];
}

function drawMasks(
  ctx: CanvasRenderingContext2D,
  face: OverlayFace,
  view: OverlayView,
  masks: MaskBitmaps,
  stats: { masks: number; maskPixels: number },
): void {
  if (!face.parsing) return;
  for (const [head, result] of Object.entries(face.parsing)) {
    const task = parsingTaskOf(head);
    if (!task) continue;
    const hovered = view.hoveredPart?.head === head ? view.hoveredPart.label : null;
    if (view.maskOpacity <= 0 && hovered === null) continue;
    const all = masks.all(result, task.colours);
    if (!all) continue;
    ctx.save();
    if (face.denseTransform) ctx.setTransform(...maskMatrix(face.denseTransform));
    ctx.globalAlpha = hovered === null ? view.maskOpacity : view.maskOpacity * DIM_OTHERS;
    ctx.drawImage(all, result.region.x, result.region.y);
    if (hovered !== null) {
      const one = masks.only(result, task.colours, hovered);
      ctx.globalAlpha = 1; // the hovered part opaque, so it reads clearly against the dimmed rest
      if (one) ctx.drawImage(one, result.region.x, result.region.y);
    }
    ctx.restore();
    stats.masks++;
    stats.maskPixels += labelledPixels(result);
  }
}

function drawLandmarks(
  ctx: CanvasRenderingContext2D,
  face: OverlayFace,
  view: OverlayView,
  unit: number,
  stats: { landmarkPoints: number; contours: number },
): void {
  if (!face.landmarks || (!view.showPoints && !view.showContours)) return;
  const t = face.denseTransform;
  const s = t ? denseScale(t) || 1 : 1; // user-space sizes are scaled by the transform: undo that
  for (const [head, { points }] of Object.entries(face.landmarks)) {
    const set = alignTaskOf(head)?.landmarks;
    ctx.save();
    if (t) ctx.setTransform(t[0], t[1], -t[1], t[0], t[2], t[3]);
    const colour = set ? SET_COLOURS[set.set] : '#ffffff';
    if (view.showContours && set) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = unit / s;
      for (const contour of set.contours) {
        if (contour.points.some((i) => i >= points.length)) continue; // a truncated result: draw no wrong line
        ctx.beginPath();
        contour.points.forEach((i, k) =>
          k === 0 ? ctx.moveTo(points[i][0], points[i][1]) : ctx.lineTo(points[i][0], points[i][1]),
        );
        if (contour.closed) ctx.closePath();
        ctx.stroke();
        stats.contours++;
      }
    }
    if (view.showPoints) {
      const r = (1.5 * unit) / s;
      ctx.fillStyle = colour;
      for (const [x, y] of points) ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
      stats.landmarkPoints += points.length;
    }
    ctx.restore();
  }
}
