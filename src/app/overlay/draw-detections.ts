/**
 * Draws detections on a canvas whose pixel grid equals the source image (the canvas is CSS-stretched over the
 * video/image, so source pixels need no mapping here). Line widths scale with the image so they read the same on a
 * 640 px frame and a 4000 px photo. Drawing only reads results; it never analyses.
 */
import { KEYPOINT_NAMES, type Detection } from '../../core/types.ts';

const KEYPOINT_COLOURS = ['#00e5ff', '#00e5ff', '#ffd400', '#ff4081', '#9cff57', '#9cff57'] as const;

export function drawDetections(ctx: CanvasRenderingContext2D, faces: readonly Detection[]): void {
  const { width, height } = ctx.canvas;
  ctx.clearRect(0, 0, width, height);
  const unit = Math.max(1, Math.max(width, height) / 400);
  ctx.lineWidth = 2 * unit;
  ctx.font = `${Math.round(12 * unit)}px system-ui, sans-serif`;
  ctx.textBaseline = 'bottom';
  for (const face of faces) {
    const { x, y, width: w, height: h } = face.box;
    ctx.strokeStyle = '#39ff14';
    ctx.strokeRect(x, y, w, h);
    const label = face.score.toFixed(2);
    const tw = ctx.measureText(label).width + 6 * unit;
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(x, y - 16 * unit, tw, 16 * unit);
    ctx.fillStyle = '#39ff14';
    ctx.fillText(label, x + 3 * unit, y - 2 * unit);
    face.keypoints.forEach(([px, py], i) => {
      ctx.fillStyle = KEYPOINT_COLOURS[i] ?? '#fff';
      ctx.beginPath();
      ctx.arc(px, py, 2.5 * unit, 0, Math.PI * 2);
      ctx.fill();
    });
  }
}

export const KEYPOINT_LEGEND = KEYPOINT_NAMES.map((name, i) => ({ name, colour: KEYPOINT_COLOURS[i] }));
