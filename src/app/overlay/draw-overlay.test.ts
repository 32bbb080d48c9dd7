import { describe, expect, it } from 'vitest';
import { CELEBAM_PARTS, TASKS, type ParsingTask } from '../../core/faceptor/tasks.ts';
import type { Point } from '../../core/types.ts';
import type { ParsingResult } from '../../result.ts';
import { DEFAULT_OVERLAY } from '../../state/overlay.ts';
import { drawOverlay, type OverlayView } from './draw-overlay.ts';
import { polylines, recordingContext } from './fake-context.test-util.ts';
import { createMaskBitmaps, type MakeBitmap } from './mask-bitmaps.ts';
import type { OverlayFace } from './overlay-geometry.ts';

const VIEW: OverlayView = { ...DEFAULT_OVERLAY, hoveredPart: null };
const base = { score: 0.9, box: { x: 10, y: 10, width: 100, height: 100 }, keypoints: [] as Point[] };

/** Point i at (10·i, 1000 + i): distinct, and the index reads back from x. */
const numbered = (n: number): Point[] => Array.from({ length: n }, (_, i) => [10 * i, 1000 + i] as const);
const indexOf = (p: number[]) => Math.round(p[0] / 10);
/** iBUG/300W documents its 68 points 1-based; the drawing uses 0-based indices. */
const oneBased = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i - 1);

/** Bitmaps that keep their RGBA so tests can read the colours; counts how often colouring ran. */
function fakeBitmaps() {
  const made: { rgba: Uint8ClampedArray; width: number; height: number }[] = [];
  const make: MakeBitmap = (rgba, width, height) => {
    const b = { rgba, width, height };
    made.push(b);
    return b as unknown as CanvasImageSource;
  };
  return { masks: createMaskBitmaps(make), made };
}

describe('drawOverlay: landmarks', () => {
  it('draws the 68-point set as the iBUG-68 contours, in point order, eyes and lips closed', () => {
    const { ctx, calls } = recordingContext(640, 480);
    const stats = drawOverlay(
      ctx,
      [{ ...base, landmarks: { '300w': { points: numbered(68) } } }],
      VIEW,
      fakeBitmaps().masks,
    );
    // iBUG-68 annotation scheme (Sagonas et al., 300 Faces in-the-Wild): 1–17 jaw, 18–22 and 23–27 brows,
    // 28–31 nose bridge, 32–36 lower nose, 37–42 and 43–48 eyes, 49–60 outer lips, 61–68 inner lips.
    const expected = [
      { points: oneBased(1, 17), closed: false },
      { points: oneBased(18, 22), closed: false },
      { points: oneBased(23, 27), closed: false },
      { points: oneBased(28, 31), closed: false },
      { points: oneBased(32, 36), closed: false },
      { points: oneBased(37, 42), closed: true },
      { points: oneBased(43, 48), closed: true },
      { points: oneBased(49, 60), closed: true },
      { points: oneBased(61, 68), closed: true },
    ];
    expect(polylines(calls).map((l) => ({ points: l.points.map(indexOf), closed: l.closed }))).toEqual(expected);
    // every point drawn, centred on its position
    const dots = calls.filter((c) => c.op === 'fillRect' && c.args[1] >= 1000).map((c) => c.args);
    expect(dots).toEqual(numbered(68).map(([x, y]) => [x, y]));
    expect(stats).toMatchObject({ landmarkPoints: 68, contours: 9, masks: 0 });
  });

  it('joins every WFLW-98 point into one contour except the two pupils (96, 97)', () => {
    const { ctx, calls } = recordingContext(640, 480);
    drawOverlay(ctx, [{ ...base, landmarks: { wflw: { points: numbered(98) } } }], VIEW, fakeBitmaps().masks);
    const lines = polylines(calls);
    const used = lines.flatMap((l) => l.points.map(indexOf));
    expect(new Set(used).size).toBe(used.length); // no point on two lines
    expect([...used].sort((a, b) => a - b)).toEqual(Array.from({ length: 96 }, (_, i) => i));
    // WFLW annotation: eyes are 60–67 and 68–75, eight points round each eye
    const eyes = lines.filter((l) => l.closed && [60, 68].includes(indexOf(l.points[0])));
    expect(eyes.map((l) => l.points.map(indexOf))).toEqual([
      [60, 61, 62, 63, 64, 65, 66, 67],
      [68, 69, 70, 71, 72, 73, 74, 75],
    ]);
  });

  it('draws sparse sets (COFW 29, AFLW 19) as points only', () => {
    const { ctx, calls } = recordingContext(640, 480);
    const stats = drawOverlay(
      ctx,
      [{ ...base, landmarks: { cofw: { points: numbered(29) }, aflw: { points: numbered(19) } } }],
      VIEW,
      fakeBitmaps().masks,
    );
    expect(polylines(calls)).toEqual([]);
    expect(stats).toMatchObject({ landmarkPoints: 48, contours: 0 });
  });

  it('honours the toggles', () => {
    const face: OverlayFace = { ...base, keypoints: [[20, 20]], landmarks: { '300w': { points: numbered(68) } } };
    const { ctx, calls } = recordingContext(640, 480);
    const stats = drawOverlay(
      ctx,
      [face],
      { ...VIEW, showBoxes: false, showKeypoints: false, showContours: false },
      fakeBitmaps().masks,
    );
    expect(calls.some((c) => c.op === 'strokeRect' || c.op === 'arc' || c.op === 'stroke')).toBe(false);
    expect(stats).toMatchObject({ landmarkPoints: 68, contours: 0 });
    const r2 = recordingContext(640, 480);
    const stats2 = drawOverlay(r2.ctx, [face], { ...VIEW, showPoints: false }, fakeBitmaps().masks);
    expect(stats2).toMatchObject({ landmarkPoints: 0, contours: 9 });
    expect(r2.calls.filter((c) => c.op === 'strokeRect')).toHaveLength(1);
    expect(r2.calls.filter((c) => c.op === 'arc')).toHaveLength(1);
  });

  it("moves carried landmarks by the face denseTransform (x' = a·x − b·y + tx, y' = b·x + a·y + ty)", () => {
    const { ctx, calls } = recordingContext(640, 480);
    // a = 0, b = 2: rotate 90° and scale 2, then shift (100, 50). Point 0 (0, 1000) → (−2000 + 100, 0 + 50);
    // point 1 (10, 1001) → (−2002 + 100, 20 + 50).
    drawOverlay(
      ctx,
      [{ ...base, landmarks: { '300w': { points: numbered(68) } }, denseTransform: [0, 2, 100, 50] }],
      VIEW,
      fakeBitmaps().masks,
    );
    const jaw = polylines(calls)[0].points;
    expect(jaw[0][0]).toBeCloseTo(-1900);
    expect(jaw[0][1]).toBeCloseTo(50);
    expect(jaw[1][0]).toBeCloseTo(-1902);
    expect(jaw[1][1]).toBeCloseTo(70);
    // the detector box is current, not carried: drawn without the transform
    expect(calls.find((c) => c.op === 'strokeRect')?.matrix).toEqual([1, 0, 0, 1, 0, 0]);
  });
});

describe('drawOverlay: parsing masks', () => {
  const celebam = TASKS.parsing_celebam as ParsingTask;
  const hair = CELEBAM_PARTS.indexOf('hair'),
    nose = CELEBAM_PARTS.indexOf('nose'),
    neck = CELEBAM_PARTS.indexOf('neck');
  const parsing = (): ParsingResult => ({
    labels: celebam.labels,
    region: { x: 20, y: 30, width: 3, height: 2 },
    width: 3,
    height: 2,
    data: Uint8Array.from([0, hair, nose, neck, 0, hair]),
  });

  it('colours each class with its registry colour, background transparent, drawn at the region with the opacity', () => {
    const { masks, made } = fakeBitmaps();
    const { ctx, calls } = recordingContext(640, 480);
    const stats = drawOverlay(
      ctx,
      [{ ...base, parsing: { celebam: parsing() } }],
      { ...VIEW, maskOpacity: 0.4 },
      masks,
    );
    const draws = calls.filter((c) => c.op === 'drawImage');
    expect(draws).toHaveLength(1);
    expect(draws[0].args).toEqual([20, 30]);
    expect(draws[0].alpha).toBeCloseTo(0.4);
    const { rgba, width, height } = made[0];
    expect([width, height]).toEqual([3, 2]);
    const px = (i: number) => Array.from(rgba.slice(4 * i, 4 * i + 4));
    expect(px(0)[3]).toBe(0);
    expect(px(4)[3]).toBe(0);
    expect(px(1)).toEqual([...celebam.colours[hair], 255]);
    expect(px(2)).toEqual([...celebam.colours[nose], 255]);
    expect(px(3)).toEqual([...celebam.colours[neck], 255]);
    expect(stats).toMatchObject({ masks: 1, maskPixels: 4 });
  });

  it('colours a result once however often it is redrawn', () => {
    const { masks, made } = fakeBitmaps();
    const faces = [{ ...base, parsing: { celebam: parsing() } }];
    for (let i = 0; i < 5; i++) drawOverlay(recordingContext(640, 480).ctx, faces, VIEW, masks);
    expect(made).toHaveLength(1);
    drawOverlay(recordingContext(640, 480).ctx, [{ ...base, parsing: { celebam: parsing() } }], VIEW, masks);
    expect(made).toHaveLength(2); // a new result object is a new mask
  });

  it('draws the hovered class opaque over the dimmed others', () => {
    const { masks, made } = fakeBitmaps();
    const faces = [{ ...base, parsing: { celebam: parsing() } }];
    const { ctx, calls } = recordingContext(640, 480);
    drawOverlay(ctx, faces, { ...VIEW, maskOpacity: 0.5, hoveredPart: { head: 'celebam', label: hair } }, masks);
    const draws = calls.filter((c) => c.op === 'drawImage');
    expect(draws.map((d) => d.alpha)).toEqual([expect.closeTo(0.5 * 0.35), 1]);
    const only = made.find((m) => m === (draws[1].image as unknown))!;
    const alphas = Array.from({ length: 6 }, (_, i) => only.rgba[4 * i + 3]);
    expect(alphas).toEqual([0, 255, 0, 0, 0, 255]); // hair pixels only
    // the same hover again reuses both bitmaps; a hover on another head leaves this mask undimmed
    drawOverlay(
      recordingContext(640, 480).ctx,
      faces,
      { ...VIEW, hoveredPart: { head: 'celebam', label: hair } },
      masks,
    );
    expect(made).toHaveLength(2);
    const other = recordingContext(640, 480);
    drawOverlay(other.ctx, faces, { ...VIEW, maskOpacity: 0.5, hoveredPart: { head: 'lapa', label: 1 } }, masks);
    expect(other.calls.filter((c) => c.op === 'drawImage').map((d) => d.alpha)).toEqual([0.5]);
  });

  it('skips masks at zero opacity unless a class is hovered', () => {
    const faces = [{ ...base, parsing: { celebam: parsing() } }];
    const { ctx, calls } = recordingContext(640, 480);
    expect(drawOverlay(ctx, faces, { ...VIEW, maskOpacity: 0 }, fakeBitmaps().masks)).toMatchObject({
      masks: 0,
      maskPixels: 0,
    });
    expect(calls.some((c) => c.op === 'drawImage')).toBe(false);
  });

  it('places a carried mask so each pixel centre lands on the transformed centre (+½ canvas offset)', () => {
    const { ctx, calls, apply } = recordingContext(640, 480);
    const t = [0, 1, 300, 10] as const; // 90° rotation, shift (300, 10): (x, y) → (300 − y, 10 + x)
    drawOverlay(ctx, [{ ...base, parsing: { celebam: parsing() }, denseTransform: t }], VIEW, fakeBitmaps().masks);
    const draw = calls.find((c) => c.op === 'drawImage')!;
    // bitmap pixel (i, j) covers canvas user square [20+i, 21+i) × [30+j, 31+j); its centre is source pixel (20+i, 30+j)
    for (const [i, j] of [
      [0, 0],
      [2, 1],
      [1, 0],
    ]) {
      const [dx, dy] = apply(draw.matrix, 20 + i + 0.5, 30 + j + 0.5);
      const sx = 20 + i,
        sy = 30 + j;
      expect(dx - 0.5).toBeCloseTo(300 - sy);
      expect(dy - 0.5).toBeCloseTo(10 + sx);
    }
  });

  it('ignores heads the registry does not know', () => {
    const { ctx } = recordingContext(640, 480);
    const stats = drawOverlay(
      ctx,
      [
        {
          ...base,
          // what a newer worker could send: keys this build's contract does not have
          parsing: { nonsense: parsing() } as OverlayFace['parsing'],
          landmarks: { nonsense: { points: numbered(5) } } as OverlayFace['landmarks'],
        },
      ],
      VIEW,
      fakeBitmaps().masks,
    );
    expect(stats).toMatchObject({ masks: 0, contours: 0, landmarkPoints: 5 });
  });
});
