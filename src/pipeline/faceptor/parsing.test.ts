/**
 * The footprint-only parsing decode must give exactly the core's full-map result (labelsToImage ∘ parsingLabels,
 * itself checked against the golden labels_512) for every kind of crop: similarity crops of small and large faces,
 * a rotated one, LaPa's tanh warp, and a crop hanging over the image border.
 */
import { describe, expect, it } from 'vitest';
import { celebamCrop, landmarkCrop, lapaCrop, type CropSpec } from '../../core/align/crops.ts';
import { labelsToImage, parsingLabels } from '../../core/faceptor/decode.ts';
import type { Point } from '../../core/types.ts';
import { parsingMaskInImage } from './parsing.ts';

function randomLogits(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 8 - 4;
  });
}

const face = (cx: number, cy: number, eyeDist: number, roll = 0): Point[] => {
  const c = Math.cos(roll),
    s = Math.sin(roll),
    k = eyeDist / 35;
  const rel: Point[] = [
    [-17.6, -20],
    [17.6, -20],
    [0, 0],
    [0, 20.5],
  ];
  return rel.map(([x, y]) => [cx + k * (c * x - s * y), cy + k * (s * x + c * y)]);
};

const cases: [string, CropSpec, number, number][] = [
  ['small face, shared crop', landmarkCrop(face(256, 300, 80), 0.8), 512, 600],
  ['face larger than the crop', landmarkCrop(face(900, 700, 400), 0.8), 1800, 1400],
  ['rolled 25°', landmarkCrop(face(300, 280, 120, 0.44), 0.8), 640, 480],
  ['LaPa tanh warp', lapaCrop(face(256, 256, 90)), 512, 512],
  ['CelebA-HQ square over the border', celebamCrop(face(40, 30, 70)), 320, 240],
];

describe('parsingMaskInImage', () => {
  for (const [name, spec, W, H] of cases) {
    it(`${name}: identical to labelsToImage(parsingLabels(…))`, () => {
      for (const [Q, side] of [
        [19, 128],
        [11, 128],
        [3, 16],
      ] as const) {
        const logits = randomLogits(Q * side * side, Q * 1000 + side);
        const expected = labelsToImage(parsingLabels(logits, Q, side, side, spec.size, spec.size), spec, W, H);
        const got = parsingMaskInImage(logits, Q, side, spec, W, H);
        expect([got.x, got.y, got.width, got.height]).toEqual([
          expected.x,
          expected.y,
          expected.width,
          expected.height,
        ]);
        expect(got.labels.length).toBeGreaterThan(0);
        let diff = 0;
        for (let i = 0; i < got.labels.length; i++) if (got.labels[i] !== expected.labels[i]) diff++;
        expect(diff).toBe(0);
      }
    });
  }
  it('rejects logits of the wrong size', () => {
    expect(() => parsingMaskInImage(new Float32Array(10), 19, 128, cases[0][1], 512, 600)).toThrow(/not 19×128×128/);
  });
});
