/**
 * Draws detections on a canvas whose pixel grid equals the source image (the canvas is CSS-stretched over the
 * video/image, so source pixels need no mapping here). Line widths scale with the image so they read the same on a
 * 640 px frame and a 4000 px photo. Drawing only reads results; it never analyses.
 */
import { KEYPOINT_NAMES, type Detection } from '../../core/types.ts';
import { faceColour } from './face-colours.ts';

const KEYPOINT_COLOURS = ['#00e5ff', '#00e5ff', '#ffd400', '#ff4081', '#9cff57', '#9cff57'] as const;

/** What of a detection to draw (both by default, as before the overlay options existed). */
export interface DetectionLayers {
  readonly boxes: boolean;
  readonly keypoints: boolean;
}
const ALL: DetectionLayers = { boxes: true, keypoints: true };

/** Canvas units per "screen-ish" pixel: 1 up to 400 px, then growing with the image's long side. */
export function overlayUnit(width: number, height: number): number {
  return Math.max(1, Math.max(width, height) / 400);
}

export function drawDetections(
  ctx: CanvasRenderingContext2D,
  faces: readonly Detection[],
  layers: DetectionLayers = ALL,
): void {
  const { width, height } = ctx.canvas;
  ctx.clearRect(0, 0, width, height);
  const unit = overlayUnit(width, height);
  faces.forEach((face, i) => drawDetection(ctx, face, unit, layers, { index: i }));
}

/** Which face this is (numbered and coloured like its panel) and whether it is highlighted (panel hovered/focused). */
export interface FaceMark {
  readonly index: number;
  readonly highlighted?: boolean;
}

/** One face's box, score and keypoints, on top of whatever is already drawn. */
export function drawDetection(
  ctx: CanvasRenderingContext2D,
  face: Detection,
  unit: number,
  layers: DetectionLayers = ALL,
  mark: FaceMark = { index: 0 },
): void {
  // A highlighted face's box is drawn even with boxes switched off: the user is pointing at its panel.
  if (layers.boxes || mark.highlighted) {
    const { x, y, width: w, height: h } = face.box;
    const colour = faceColour(mark.index);
    ctx.lineWidth = (mark.highlighted ? 5 : 2) * unit;
    ctx.font = `bold ${Math.round(13 * unit)}px system-ui, sans-serif`;
    ctx.textBaseline = 'bottom';
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, w, h);
    // "Face 2" on the overlay is "2", the same number as its panel; the score follows
    const label = `${mark.index + 1} · ${face.score.toFixed(2)}`;
    const tw = ctx.measureText(label).width + 6 * unit;
    const top = y - 17 * unit >= 0 ? y - 17 * unit : y; // a face at the top edge gets its label inside the box
    ctx.fillStyle = 'rgba(0,0,0,0.7)';
    ctx.fillRect(x, top, tw, 17 * unit);
    ctx.fillStyle = colour;
    ctx.fillText(label, x + 3 * unit, top + 15 * unit);
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
