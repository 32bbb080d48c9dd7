/**
 * Alignment templates (target points of the similarity fits), all in crop pixel coordinates
 * (pixel centres at integers). Order everywhere: image-left eye, image-right eye, nose tip, image-left mouth
 * corner, image-right mouth corner — "image-left" for an upright, unmirrored face, i.e. the SUBJECT's right.
 */
import type { Point } from '../types.ts';

/** InsightFace ArcFace 112×112 template (docs/model.md §3.1; external convention used by MS1MV3). */
export const ARCFACE_112: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/**
 * LaPa 512 template (docs/model.md §3.5): the official points (196,226), (316,226), (256,286), (220,360.4), (292,360.4)
 * on a 512 canvas, mapped by p/256 − 1 to [−1, 1] and then by (q + 1)·511/2 to the 512 frame. Computed here from the
 * official numbers so that the derivation stays visible.
 */
export const LAPA_512: readonly Point[] = (
  [
    [196, 226],
    [316, 226],
    [256, 286],
    [220, 360.4],
    [292, 360.4],
  ] as const
).map(([x, y]): Point => [((x / 256 - 1 + 1) * 511) / 2, ((y / 256 - 1 + 1) * 511) / 2]);

/**
 * BlazeFace gives eyes, nose and the mouth CENTRE but no mouth corners. We fit on the four points we have and
 * use the midpoint of the template's two mouth corners as the target of the mouth centre. Rationale: deriving
 * corners would invent a mouth width (and a mouth orientation) that the detector never measured, and those
 * invented points would pull the fit; the corners' midpoint is exactly what a mouth-centre keypoint estimates, so
 * the 4-point fit keeps every equation honest. (For a closed neutral mouth the midpoint of the corners and the
 * mouth centre agree to about a pixel at 112; with an open mouth the detector's centre moves down a little.)
 */
export function fourPointTemplate(template: readonly Point[]): Point[] {
  if (template.length !== 5) throw new Error(`fourPointTemplate: expected a 5-point template, got ${template.length}`);
  const [le, re, nose, lm, rm] = template;
  return [le, re, nose, [(lm[0] + rm[0]) / 2, (lm[1] + rm[1]) / 2]];
}

/**
 * Landmark box of a mean face in ARCFACE_112 coordinates (COFW rule, docs/model.md §3.3: a square around the
 * landmarks). Derived offline, once: dlib/OpenFace's 68-point mean shape (`TEMPLATE` of openface/align_dlib.py) fitted
 * to ARCFACE_112 by a 5-point similarity (eye centres = means of 36–41 / 42–47, nose 30, mouth corners 48 / 54);
 * the 68 fitted points span x ∈ [14.95, 98.39], y ∈ [38.93, 120.81]. Square side = the larger extent.
 * This turns the detector's keypoints into the box the landmark heads were evaluated with (the mapping from a
 * detector to the 300W/WFLW boxes is UNKNOWN in the spec; this is our documented choice).
 */
export const MEAN_FACE_LANDMARK_BOX_112 = { cx: 56.67, cy: 79.87, side: 83.45 } as const;
