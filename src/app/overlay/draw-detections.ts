/**
 * Draws detections on a canvas whose pixel grid equals the source image (the canvas is CSS-stretched over the
 * video/image, so source pixels need no mapping here). Line widths scale with the image so they read the same on a
 * 640 px frame and a 4000 px photo. Drawing only reads results; it never analyses.
 */
import { KEYPOINT_NAMES, type Detection } from '../../core/types.ts';

const KEYPOINT_COLOURS = ['#00e5ff', '#00e5ff', '#ffd400', '#ff4081', '#9cff57', '#9cff57'] as const;

/** What of a detection to draw (both by default, as before the overlay options existed). */
export interface DetectionLayers { readonly boxes: boolean; readonly keypoints: boolean }
const ALL: DetectionLayers = { boxes: true, keypoints: true };

/** Canvas units per "screen-ish" pixel: 1 up to 400 px, then growing with the image's long side. */
export function overlayUnit(width: number, height: number): number {
  return Math.max(1, Math.max(width, height) / 400);
}

export function drawDetections(ctx: CanvasRenderingContext2D, faces: readonly Detection[], layers: DetectionLayers = ALL): void {
  const { width, height } = ctx.canvas;
  ctx.clearRect(0, 0, width, height);
  const unit = overlayUnit(width, height);
  for (const face of faces) drawDetection(ctx, face, unit, layers);
}

/** One face's box, score and keypoints, on top of whatever is already drawn. */
export function drawDetection(ctx: CanvasRenderingContext2D, face: Detection, unit: number, layers: DetectionLayers = ALL): void {
  if (layers.boxes) {
    const { x, y, width: w, height: h } = face.box;
    ctx.lineWidth = 2 * unit;
    ctx.font = `${Math.round(12 * unit)}px system-ui, sans-serif`;
    ctx.textBaseline = 'bottom';
    ctx.strokeStyle = '#39ff14';
    ctx.strokeRect(x, y, w, h);
    const label = face.score.toFixed(2);
    const tw = ctx.measureText(label).width + 6 * unit;
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(x, y - 16 * unit, tw, 16 * unit);
    ctx.fillStyle = '#39ff14';
    ctx.fillText(label, x + 3 * unit, y - 2 * unit);
  }
  if (layers.keypoints) {
    face.keypoints.forEach(([px, py], i) => {
      ctx.fillStyle = KEYPOINT_COLOURS[i] ?? '#fff';
      ctx.beginPath();
      ctx.arc(px, py, 2.5 * unit, 0, Math.PI * 2);
      ctx.fill();
    });
  }
}

export const KEYPOINT_LEGEND = KEYPOINT_NAMES.map((name, i) => ({ name, colour: KEYPOINT_COLOURS[i] }));
