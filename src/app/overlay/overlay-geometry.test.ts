import { describe, expect, it } from 'vitest';
import { CELEBAM_PARTS, LAPA_PARTS, TASKS, type ParsingTask } from '../../core/faceptor/tasks.ts';
import type { ParsingResult } from '../../result.ts';
import { DEFAULT_OVERLAY } from '../../state/overlay.ts';
import { drawOverlay } from './draw-overlay.ts';
import { recordingContext } from './fake-context.test-util.ts';
import { createMaskBitmaps } from './mask-bitmaps.ts';
import {
  alignTaskOf,
  applyDense,
  clientToSource,
  extrapolateFaces,
  hitTestParsing,
  invertDense,
  MAX_EXTRAPOLATION_MS,
  parsingHeadsIn,
  parsingTaskOf,
  type MovingFace,
  type OverlayFace,
} from './overlay-geometry.ts';

const base = { score: 0.9, box: { x: 0, y: 0, width: 10, height: 10 }, keypoints: [] };
const hair = CELEBAM_PARTS.indexOf('hair'),
  nose = CELEBAM_PARTS.indexOf('nose');

/** 4×3 region at (10, 20); source pixel (12, 21) is hair, (13, 21) nose, the rest background. */
function parsing(): ParsingResult {
  const data = new Uint8Array(12);
  data[1 * 4 + 2] = hair;
  data[1 * 4 + 3] = nose;
  return { labels: CELEBAM_PARTS, region: { x: 10, y: 20, width: 4, height: 3 }, width: 4, height: 3, data };
}

describe('registry lookups by result head', () => {
  it('maps head keys back to their tasks', () => {
    expect(alignTaskOf('300w')?.landmarks.points).toBe(68);
    expect(alignTaskOf('wflw')?.landmarks.points).toBe(98);
    expect(parsingTaskOf('lapa')?.labels).toEqual(LAPA_PARTS);
    expect(parsingTaskOf('300w')).toBeUndefined();
    expect(alignTaskOf('celebam')).toBeUndefined();
  });
  it('lists the parsing heads present, in registry order', () => {
    const faces: OverlayFace[] = [
      { ...base, parsing: { lapa: parsing() } },
      { ...base, parsing: { celebam: parsing() } },
      base,
    ];
    expect(parsingHeadsIn(faces).map((h) => h.head)).toEqual(['celebam', 'lapa']);
    expect(parsingHeadsIn([base])).toEqual([]);
  });
});

describe('dense transform', () => {
  it('inverts the similarity', () => {
    const t = [0.8, -0.6, 40, -7] as const;
    const inv = invertDense(t)!;
    const [x, y] = applyDense(t, 13, 29);
    const [bx, by] = applyDense(inv, x, y);
    expect(bx).toBeCloseTo(13);
    expect(by).toBeCloseTo(29);
    expect(invertDense([0, 0, 1, 1])).toBeNull();
  });
});

describe('clientToSource', () => {
  // a 640×480 canvas shown at 320×240 CSS pixels, its top-left corner at client (100, 50)
  const rect = { left: 100, top: 50, width: 320, height: 240 };
  it('maps the canvas edges and pixel centres (centres at integers)', () => {
    expect(clientToSource(100, 50, rect, 640, 480)).toEqual([-0.5, -0.5]);
    expect(clientToSource(100.25, 50.25, rect, 640, 480)).toEqual([0, 0]); // canvas (0.5, 0.5) = centre of pixel 0
    expect(clientToSource(420, 290, rect, 640, 480)).toEqual([639.5, 479.5]);
  });
  it('gives nothing for a canvas with no size on screen', () => {
    expect(clientToSource(0, 0, { ...rect, width: 0 }, 640, 480)).toBeNull();
  });
});

describe('hitTestParsing', () => {
  const face: OverlayFace = { ...base, parsing: { celebam: parsing() } };
  it('finds the class of the source pixel under the point, within the region only', () => {
    expect(hitTestParsing([face], 12, 21)).toMatchObject({ head: 'celebam', label: hair, name: 'hair', faceIndex: 0 });
    expect(hitTestParsing([face], 12.4, 20.6)).toMatchObject({ label: hair }); // still pixel (12, 21)
    expect(hitTestParsing([face], 12.6, 21)).toMatchObject({ label: nose, name: 'nose' }); // pixel (13, 21)
    expect(hitTestParsing([face], 11, 21)).toBeNull(); // background
    expect(hitTestParsing([face], 14, 21)).toBeNull(); // right of the region
    expect(hitTestParsing([base], 12, 21)).toBeNull();
  });

  it('looks through the denseTransform: the part is found where it is drawn', () => {
    // (x, y) → (300 − y, 10 + x): hair at (12, 21) is shown at (279, 22)
    const moved: OverlayFace = { ...face, denseTransform: [0, 1, 300, 10] };
    expect(hitTestParsing([moved], 279, 22)).toMatchObject({ label: hair });
    expect(hitTestParsing([moved], 12, 21)).toBeNull();
  });

  it('agrees with where drawOverlay puts every mask pixel, for a rotated and scaled mask', () => {
    const moved: OverlayFace = { ...face, denseTransform: [1.2, 0.5, -15, 40] };
    const { ctx, calls, apply } = recordingContext(200, 200);
    drawOverlay(
      ctx,
      [moved],
      { ...DEFAULT_OVERLAY, hoveredPart: null },
      createMaskBitmaps(() => ({}) as CanvasImageSource),
    );
    const draw = calls.find((c) => c.op === 'drawImage')!;
    const result = moved.parsing!.celebam!;
    for (let j = 0; j < 3; j++) {
      for (let i = 0; i < 4; i++) {
        // centre of bitmap pixel (i, j) on the canvas, back in source coordinates (−½)
        const [cx, cy] = apply(draw.matrix, 10 + i + 0.5, 20 + j + 0.5);
        const label = result.data[j * 4 + i];
        expect(hitTestParsing([moved], cx - 0.5, cy - 0.5)?.label ?? 0).toBe(label);
      }
    }
  });

  it('prefers the face drawn last (on top)', () => {
    const lapa = TASKS.parsing_lapa as ParsingTask;
    const other: OverlayFace = {
      ...base,
      parsing: { lapa: { ...parsing(), labels: lapa.labels, data: new Uint8Array(12).fill(1) } },
    };
    expect(hitTestParsing([face, other], 12, 21)).toMatchObject({ head: 'lapa', label: 1, name: 'skin', faceIndex: 1 });
    expect(hitTestParsing([other, face], 12, 21)).toMatchObject({ head: 'celebam', faceIndex: 1 });
  });
});

describe('extrapolateFaces (video overlay between analyses)', () => {
  const moving: MovingFace = {
    score: 0.9,
    box: { x: 100, y: 50, width: 200, height: 200 },
    keypoints: [
      [150, 120],
      [250, 120],
    ],
    landmarks: {
      '300w': {
        points: [
          [160, 130],
          [240, 131],
        ],
      },
    },
    parsing: { celebam: parsing() },
    denseTransform: [0, 1, 40, -10], // a carried mask: rotated 90° and moved
    velocity: [0.1, -0.05], // px/ms = 100 px/s right, 50 px/s up (0.56 widths/s)
  };

  it('moves box, keypoints and landmarks by velocity × dt, and the mask through its composed transform', () => {
    const [f] = extrapolateFaces([moving], 100);
    expect(f.box).toEqual({ x: 110, y: 45, width: 200, height: 200 });
    expect(f.keypoints).toEqual([
      [160, 115],
      [260, 115],
    ]);
    expect(f.landmarks!['300w']!.points).toEqual([
      [170, 125],
      [250, 126],
    ]);
    // mask pixel (12, 21): carried to (0·12 − 1·21 + 40, 1·12 + 0·21 − 10) = (19, 2), then moved on by (10, −5)
    expect(applyDense(f.denseTransform!, 12, 21)).toEqual([29, -3]);
    expect(f.parsing).toBe(moving.parsing); // the mask itself is not copied (its bitmap cache is keyed by it)
  });

  it('a fresh mask (no denseTransform) gets a pure translation', () => {
    const [f] = extrapolateFaces([{ ...moving, denseTransform: undefined }], 100);
    expect(applyDense(f.denseTransform!, 12, 21)).toEqual([22, 16]);
  });

  it('never runs ahead more than MAX_EXTRAPOLATION_MS', () => {
    const [f] = extrapolateFaces([moving], 10_000);
    expect(f.box.x).toBeCloseTo(100 + 0.1 * MAX_EXTRAPOLATION_MS, 9);
  });

  it('leaves still faces, faces without velocity, and dt ≤ 0 alone (same objects: nothing to redraw)', () => {
    const still: MovingFace = { ...moving, velocity: [0.01, 0.01] }; // 14 px/s on a 200 px face: under 0.2 widths/s
    const plain: MovingFace = { ...moving, velocity: undefined };
    const faces = [still, plain];
    expect(extrapolateFaces(faces, 100)).toBe(faces);
    const both = [moving, still];
    expect(extrapolateFaces(both, 0)).toBe(both);
    expect(extrapolateFaces(both, -5)).toBe(both);
    const out = extrapolateFaces(both, 100);
    expect(out[0]).not.toBe(moving);
    expect(out[1]).toBe(still);
  });
});
