/**
 * Geometry shared by the overlay's drawing and its hover hit test: the video's carried-results transform, the
 * pointer → source-pixel mapping, and which parsing class lies under a source point. Pure: no DOM.
 */
import type { Detection, Point } from '../../core/types.ts';
import { TASK_NAMES, TASKS, type AlignTask, type ParsingTask, type TaskName } from '../../core/faceptor/tasks.ts';
import type { FaceTaskResults } from '../../result.ts';
import { headKey } from '../../pipeline/faceptor/select.ts';

/**
 * Similarity [a, b, tx, ty] that moves landmarks/parsing carried from an earlier video frame onto the face's current
 * position: x' = a·x − b·y + tx, y' = b·x + a·y + ty (source pixels). Absent = identity.
 */
export type DenseTransform = readonly [a: number, b: number, tx: number, ty: number];

/** What the overlay reads of a face (FaceAnalysis satisfies it). */
export interface OverlayFace extends Detection, Pick<FaceTaskResults, 'landmarks' | 'parsing'> {
  readonly denseTransform?: DenseTransform;
}

/** The overlay never runs further ahead of an analysis than this: a stalled worker must not send faces flying. */
export const MAX_EXTRAPOLATION_MS = 250;
/**
 * Speeds under this many box widths per second count as still: on a still face with detector noise of 1 % of its
 * width the tracker's velocity peaks at ~0.11 widths/s (track.test.ts), and a face that slow moves < 5 % of its
 * width in the longest extrapolation anyway.
 */
export const STILL_WIDTHS_PER_S = 0.2;

export interface MovingFace extends OverlayFace {
  /** Smoothed motion of the box centre, px per ms (video faces). */
  readonly velocity?: readonly [number, number];
}

/**
 * Faces moved on by their velocity `dtMs` after their frame was grabbed, so a video overlay is drawn where the face
 * is now at every video frame, not only when an analysis arrives. Box, keypoints and landmarks are translated;
 * parsing masks get the translation composed into their denseTransform. Still faces (and dt ≤ 0) come back as the
 * same objects, so nothing is redrawn for them; the same array comes back when no face moved.
 */
export function extrapolateFaces<F extends MovingFace>(faces: readonly F[], dtMs: number): readonly F[] {
  const dt = Math.min(dtMs, MAX_EXTRAPOLATION_MS);
  if (!(dt > 0) || !faces.some(isMoving)) return faces;
  return faces.map((face) =>
    isMoving(face) ? translateFace(face, face.velocity![0] * dt, face.velocity![1] * dt) : face,
  );
}

/** True when the face moves fast enough to be carried on between analyses (see STILL_WIDTHS_PER_S). */
export function isMoving(face: MovingFace): boolean {
  const v = face.velocity;
  return !!v && face.box.width > 0 && Math.hypot(v[0], v[1]) * 1000 >= STILL_WIDTHS_PER_S * face.box.width;
}

function translateFace<F extends MovingFace>(face: F, dx: number, dy: number): F {
  const shift = (points: readonly Point[]): Point[] => points.map(([x, y]): Point => [x + dx, y + dy]);
  const [a, b, tx, ty] = face.denseTransform ?? [1, 0, 0, 0];
  return {
    ...face,
    box: { ...face.box, x: face.box.x + dx, y: face.box.y + dy },
    keypoints: shift(face.keypoints),
    ...(face.landmarks && {
      landmarks: Object.fromEntries(
        Object.entries(face.landmarks).map(([set, r]) => [set, { ...r, points: shift(r.points) }]),
      ),
    }),
    ...(face.parsing && { denseTransform: [a, b, tx + dx, ty + dy] as DenseTransform }),
  };
}

export function applyDense(t: DenseTransform, x: number, y: number): Point {
  const [a, b, tx, ty] = t;
  return [a * x - b * y + tx, b * x + a * y + ty];
}

/** The inverse similarity (a rotation-scale is invertible unless a = b = 0, which we treat as "no position"). */
export function invertDense(t: DenseTransform): DenseTransform | null {
  const [a, b, tx, ty] = t;
  const s2 = a * a + b * b;
  if (!(s2 > 0) || !Number.isFinite(s2)) return null;
  // x = (a·(x'−tx) + b·(y'−ty)) / s², y = (−b·(x'−tx) + a·(y'−ty)) / s²  →  again of the form [a', b', tx', ty']
  const ai = a / s2,
    bi = -b / s2;
  return [ai, bi, -(ai * tx - bi * ty), -(bi * tx + ai * ty)];
}

/** Uniform scale of the transform, to keep line widths and dot sizes constant on screen. */
export const denseScale = (t: DenseTransform): number => Math.hypot(t[0], t[1]);

/**
 * The registry task a result head belongs to (`'300w'` under landmarks → align_300w). Results are keyed by
 * headKey(task); unknown keys (a newer worker) give undefined and are not drawn.
 */
export function alignTaskOf(head: string): AlignTask | undefined {
  const name = TASK_NAMES.find((t) => TASKS[t].type === 'align' && headKey(t) === head);
  return name ? (TASKS[name] as AlignTask) : undefined;
}

export function parsingTaskOf(head: string): ParsingTask | undefined {
  const name = TASK_NAMES.find((t) => TASKS[t].type === 'parsing' && headKey(t) === head);
  return name ? (TASKS[name] as ParsingTask) : undefined;
}

/** Parsing heads present in any face, in registry order (one legend each). */
export function parsingHeadsIn(faces: readonly OverlayFace[]): { head: string; task: ParsingTask }[] {
  const present = new Set(faces.flatMap((f) => Object.keys(f.parsing ?? {})));
  return TASK_NAMES.filter((t: TaskName) => TASKS[t].type === 'parsing' && present.has(headKey(t))).map((t) => ({
    head: headKey(t),
    task: TASKS[t] as ParsingTask,
  }));
}

export const hasParsing = (faces: readonly OverlayFace[]): boolean =>
  faces.some((f) => f.parsing && Object.keys(f.parsing).length > 0);

/**
 * Pointer position → source-image coordinates (pixel centres at integers). The canvas holds the source's pixel grid
 * and is CSS-stretched over the media (styles.css `.stage .overlay`: inset 0, 100 % × 100 %, no object-fit), so
 * the mapping is a plain scale per axis; canvas pixel k spans [k, k+1) in canvas units, its centre is source k.
 */
export function clientToSource(
  clientX: number,
  clientY: number,
  rect: { readonly left: number; readonly top: number; readonly width: number; readonly height: number },
  canvasWidth: number,
  canvasHeight: number,
): Point | null {
  if (!(rect.width > 0) || !(rect.height > 0)) return null;
  return [
    ((clientX - rect.left) * canvasWidth) / rect.width - 0.5,
    ((clientY - rect.top) * canvasHeight) / rect.height - 0.5,
  ];
}

export interface PartHit {
  readonly faceIndex: number;
  readonly head: string;
  readonly label: number;
  readonly name: string;
}

/**
 * The parsing class (not background) under source point (x, y), looking through each face's denseTransform (the
 * mask is drawn moved, so the point is moved back into the mask's own frame). Faces drawn later lie on top and win.
 */
export function hitTestParsing(faces: readonly OverlayFace[], x: number, y: number): PartHit | null {
  for (let f = faces.length - 1; f >= 0; f--) {
    const face = faces[f];
    if (!face.parsing) continue;
    let p: Point = [x, y];
    if (face.denseTransform) {
      const inv = invertDense(face.denseTransform);
      if (!inv) continue;
      p = applyDense(inv, x, y);
    }
    const px = Math.round(p[0]),
      py = Math.round(p[1]);
    for (const [head, result] of Object.entries(face.parsing)) {
      const { region, width, height, data } = result;
      const i = px - region.x,
        j = py - region.y;
      if (i < 0 || j < 0 || i >= width || j >= height) continue;
      const label = data[j * width + i];
      if (label) return { faceIndex: f, head, label, name: result.labels[label] ?? `class ${label}` };
    }
  }
  return null;
}
