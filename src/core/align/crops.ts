/**
 * Crop specifications: how each network input is cut from the source image (docs/model.md §3).
 * A crop is a 2×3 matrix image → crop (pixel centres at integers on both sides), plus the optional LaPa tanh
 * warp applied after the matrix. `warpCrop` (src/core/image/warp.ts) renders a spec; `cropPointToImage` maps
 * network outputs back.
 *
 * All face crops start from BlazeFace's six keypoints (types.ts KEYPOINT_NAMES: 0 subject's right eye = image-left
 * on an upright unmirrored face, 1 left eye, 2 nose tip, 3 mouth centre, 4/5 ears). See templates.ts for why the
 * fits use four points (eyes, nose, mouth centre) and README.md in this folder for every framing choice.
 */
import type { Point } from '../types.ts';
import type { TaskName } from '../faceptor/tasks.ts';
import { TASKS } from '../faceptor/tasks.ts';
import { type Affine, applyAffine, invertAffine, similarityAngle, similarityScale } from './affine.ts';
import { estimateSimilarity } from './similarity.ts';
import { ARCFACE_112, LAPA_512, MEAN_FACE_LANDMARK_BOX_112, fourPointTemplate } from './templates.ts';

export interface CropSpec {
  /** Side of the square network input in pixels. */
  readonly size: 112 | 512;
  /** Image pixel → crop pixel (before the tanh warp, if any). */
  readonly matrix: Affine;
  /** LaPa's tanh warp factor f (0.8), applied on top of `matrix`; absent for plain similarity crops. */
  readonly tanhWarp?: number;
}

/** LaPa's official warp factor (docs/model.md §3.5). */
export const LAPA_WARP_FACTOR = 0.8;

/** Validates BlazeFace keypoints and returns the four used by the fits: image-left eye, image-right eye, nose, mouth. */
export function fitKeypoints(keypoints: readonly Point[]): Point[] {
  if (!Array.isArray(keypoints) || keypoints.length < 4) {
    throw new Error(`face alignment needs the detector's keypoints (eyes, nose, mouth); got ${keypoints?.length ?? 0}`);
  }
  const pts = keypoints.slice(0, 4);
  pts.forEach((p, i) => {
    if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) throw new Error(`keypoint ${i} is not a finite point`);
  });
  if (Math.hypot(pts[0][0] - pts[1][0], pts[0][1] - pts[1][1]) < 1e-6) {
    throw new Error('face alignment: the two eye keypoints coincide');
  }
  return pts;
}

/** Similarity image → template frame, fitted on the 4 BlazeFace points against a 5-point template. */
export function fitKeypointsToTemplate(keypoints: readonly Point[], template5: readonly Point[]): Affine {
  return estimateSimilarity(fitKeypoints(keypoints), fourPointTemplate(template5));
}

/** Group A (recognition, age, attributes, expression): the ArcFace 112 alignment (docs/model.md §3.1). */
export function crop112(keypoints: readonly Point[]): CropSpec {
  return { size: 112, matrix: fitKeypointsToTemplate(keypoints, ARCFACE_112) };
}

/** A square face box in image pixels, possibly rotated (angle in radians, image axes). */
export interface FaceSquare {
  readonly cx: number;
  readonly cy: number;
  readonly side: number;
  readonly angle: number;
}

/**
 * The landmark box (docs/model.md §3.3 COFW rule: a square around the face's landmarks) estimated from the keypoints:
 * the mean-face landmark box of templates.ts carried into the image by the inverse ArcFace fit.
 * `upright: true` (default) keeps the fit's roll so a tilted head is presented upright to the network;
 * `false` gives the axis-aligned box of the official evaluation crops.
 */
export function landmarkBoxFromKeypoints(keypoints: readonly Point[], upright = true): FaceSquare {
  const m = fitKeypointsToTemplate(keypoints, ARCFACE_112);
  const inv = invertAffine(m);
  const [cx, cy] = applyAffine(inv, MEAN_FACE_LANDMARK_BOX_112.cx, MEAN_FACE_LANDMARK_BOX_112.cy);
  // angle of the image → template rotation is −roll; the box rotates with the face
  return {
    cx,
    cy,
    side: MEAN_FACE_LANDMARK_BOX_112.side / similarityScale(m),
    angle: upright ? -similarityAngle(m) : 0,
  };
}

/**
 * Box crop of docs/model.md §3.3 for a square box: u' = s·(u − 255.5) + 255.5 with u = (x − x1)·512/side − 0.5, i.e.
 * the box enlarged by 1/s about its centre and resampled to 512. With `angle` ≠ 0 the square is rotated by `angle`
 * about its centre first (the crop's axes follow the box's).
 */
export function boxCrop512(box: FaceSquare, scaleMu: number): CropSpec {
  if (!(box.side > 0) || !(scaleMu > 0)) throw new Error('boxCrop512: box side and zoom must be positive');
  const k = (512 * scaleMu) / box.side;
  const c = Math.cos(box.angle),
    s = Math.sin(box.angle);
  // crop = k·R(−angle)·(p − centre) + 255.5
  const a = k * c,
    b = k * s,
    d = -k * s,
    e = k * c;
  return { size: 512, matrix: [a, b, 255.5 - (a * box.cx + b * box.cy), d, e, 255.5 - (d * box.cx + e * box.cy)] };
}

/**
 * The official box crop for an axis-aligned (x1, y1, x2, y2) box, any aspect, exactly as docs/model.md §3.3
 * composes it.
 */
export function officialBoxCrop512(x1: number, y1: number, x2: number, y2: number, scaleMu: number): CropSpec {
  if (!(x2 > x1) || !(y2 > y1)) throw new Error('officialBoxCrop512: empty box');
  const sx = 512 / (x2 - x1),
    sy = 512 / (y2 - y1);
  // step 1: u = (x − x1)·sx − 0.5; step 2: u' = s·(u − 255.5) + 255.5
  return {
    size: 512,
    matrix: [
      scaleMu * sx,
      0,
      scaleMu * (-x1 * sx - 0.5 - 255.5) + 255.5,
      0,
      scaleMu * sy,
      scaleMu * (-y1 * sy - 0.5 - 255.5) + 255.5,
    ],
  };
}

/** Landmark crop of a task from keypoints: landmark box × 1/scaleMu of that task (0.8 or 1.0). */
export function landmarkCrop(keypoints: readonly Point[], scaleMu: number, upright = true): CropSpec {
  return boxCrop512(landmarkBoxFromKeypoints(keypoints, upright), scaleMu);
}

/** parsing_lapa: 4-point similarity to the LaPa 512 template plus the tanh warp f = 0.8 (docs/model.md §3.5). */
export function lapaCrop(keypoints: readonly Point[]): CropSpec {
  return { size: 512, matrix: fitKeypointsToTemplate(keypoints, LAPA_512), tanhWarp: LAPA_WARP_FACTOR };
}

/**
 * parsing_celebam: the spec leaves the CelebA-HQ framing UNKNOWN. We use the published CelebA-HQ / FFHQ
 * crop recipe (PGGAN/StyleGAN `dataset_tool.py`, the one the CelebA-HQ creators used): an oriented square of
 * half-side |x| with x = eye_to_eye − rot90(eye_to_mouth), |x| = max(2·|eye_to_eye|, 1.8·|eye_to_mouth|),
 * centred at eye_avg + 0.1·eye_to_mouth, resampled to 512, no warp. BlazeFace's mouth centre stands in for the
 * mouth-corner midpoint. The recipe's extra half-pixel shift and its supersampling filter are not reproduced.
 */
export function celebamCrop(keypoints: readonly Point[]): CropSpec {
  const [le, re, , mouth] = fitKeypoints(keypoints);
  const eyeAvg: Point = [(le[0] + re[0]) / 2, (le[1] + re[1]) / 2];
  const e2e: Point = [re[0] - le[0], re[1] - le[1]];
  const e2m: Point = [mouth[0] - eyeAvg[0], mouth[1] - eyeAvg[1]];
  // x = e2e − flipud(e2m)·[−1, 1] = e2e − (−e2m_y, e2m_x)
  let xv: Point = [e2e[0] + e2m[1], e2e[1] - e2m[0]];
  const len = Math.hypot(xv[0], xv[1]);
  if (len < 1e-9) throw new Error('celebamCrop: degenerate keypoints');
  const half = Math.max(Math.hypot(e2e[0], e2e[1]) * 2.0, Math.hypot(e2m[0], e2m[1]) * 1.8);
  xv = [xv[0] / len, xv[1] / len];
  const centre: Point = [eyeAvg[0] + 0.1 * e2m[0], eyeAvg[1] + 0.1 * e2m[1]];
  // The quad's edges (2·half wide) land on the crop's outer pixel edges −0.5 and 511.5.
  const k = 512 / (2 * half);
  // u axis along x̂, v axis along ŷ = rot90(x̂) = (−x̂_y, x̂_x)
  const a = k * xv[0],
    b = k * xv[1],
    d = -k * xv[1],
    e = k * xv[0];
  return {
    size: 512,
    matrix: [a, b, 255.5 - (a * centre[0] + b * centre[1]), d, e, 255.5 - (d * centre[0] + e * centre[1])],
  };
}

/** Which 512 framing a group-B task was trained with. */
export type DenseCropKind = 'box_0.8' | 'box_1.0' | 'lapa' | 'celebam';

export function denseCropKindOf(task: TaskName): DenseCropKind {
  const spec = TASKS[task];
  if (spec.type === 'align') return spec.landmarks.scaleMu === 1 ? 'box_1.0' : 'box_0.8';
  if (task === 'parsing_lapa') return 'lapa';
  if (task === 'parsing_celebam') return 'celebam';
  throw new Error(`${task} is not a 512 (group B) task`);
}

export function denseCropFor(kind: DenseCropKind, keypoints: readonly Point[]): CropSpec {
  switch (kind) {
    case 'box_0.8':
      return landmarkCrop(keypoints, 0.8);
    case 'box_1.0':
      return landmarkCrop(keypoints, 1.0);
    case 'lapa':
      return lapaCrop(keypoints);
    case 'celebam':
      return celebamCrop(keypoints);
  }
}

/** One 512 encoder pass and the group-B tasks that read it. */
export interface DenseCropPlan {
  readonly kind: DenseCropKind;
  readonly spec: CropSpec;
  readonly tasks: readonly TaskName[];
}

/**
 * Plans the 512 crops of one face.
 * - `'shared'` (default; video): ONE crop for every group-B task, so the 512 encoder (~214 GFLOPs, ~25× the 112
 *   pass) runs once per face. The crop is the landmark box at zoom 0.8, exact for 300W/COFW/WFLW. Trade-off:
 *   AFLW (trained at zoom 1.0) sees the face 0.8× smaller than in training, parsing_lapa sees no tanh warp (its
 *   central band is a plain similarity crop anyway, but the face is ~1.4× larger and hair/background beyond the
 *   box are cut off), parsing_celebam sees a tighter frame than CelebA-HQ (no neck/cloth/hair beyond the box).
 * - `'exact'` (still images, full analysis): one crop per framing the tasks were trained with — up to four 512
 *   passes (box 0.8, box 1.0, LaPa tanh, CelebA-HQ), tasks grouped by crop so no framing is computed twice.
 * Group-A tasks are ignored here (they all share `crop112`). Returns [] when no group-B task is asked for,
 * i.e. no 512 pass at all.
 */
export function planDenseCrops(
  keypoints: readonly Point[],
  tasks: readonly TaskName[],
  mode: 'shared' | 'exact' = 'shared',
): DenseCropPlan[] {
  const dense = tasks.filter((t) => TASKS[t].group === 512);
  if (dense.length === 0) return [];
  if (mode === 'shared') return [{ kind: 'box_0.8', spec: denseCropFor('box_0.8', keypoints), tasks: dense }];
  const byKind = new Map<DenseCropKind, TaskName[]>();
  for (const t of dense) {
    const kind = denseCropKindOf(t);
    byKind.set(kind, [...(byKind.get(kind) ?? []), t]);
  }
  return [...byKind].map(([kind, ts]) => ({ kind, spec: denseCropFor(kind, keypoints), tasks: ts }));
}
