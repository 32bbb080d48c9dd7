import { describe, expect, it } from 'vitest';
import type { Point } from '../types.ts';
import { applyAffine } from '../align/affine.ts';
import { applySimilarity, fitSimilarity, IDENTITY_SIMILARITY, similarityToAffine } from './carry.ts';

// BlazeFace-like keypoints of a face about 100 px wide
const KP: Point[] = [
  [130, 140],
  [170, 140],
  [150, 160],
  [150, 178],
  [105, 145],
  [195, 145],
];

describe('carrying points with the face', () => {
  it('recovers a known rotation + scale + translation and moves other points with it', () => {
    // 30° rotation, scale 1.2, then shift (+15, −7): hand-built, independent of the code under test
    const s = 1.2,
      th = Math.PI / 6,
      a = s * Math.cos(th),
      b = s * Math.sin(th);
    const move = ([x, y]: Point): Point => [a * x - b * y + 15, b * x + a * y - 7];
    const t = fitSimilarity(KP, KP.map(move));
    expect(t[0]).toBeCloseTo(a, 10);
    expect(t[1]).toBeCloseTo(b, 10);
    expect(t[2]).toBeCloseTo(15, 8);
    expect(t[3]).toBeCloseTo(-7, 8);
    // landmarks that were not part of the fit land where the motion puts them
    const landmarks: Point[] = [
      [120, 150],
      [180, 150],
      [150, 190],
      [0, 0],
    ];
    applySimilarity(t, landmarks).forEach((p, i) => {
      const [x, y] = move(landmarks[i]);
      expect(p[0]).toBeCloseTo(x, 8);
      expect(p[1]).toBeCloseTo(y, 8);
    });
  });

  it('a pure translation by (k, k) gives [1, 0, k, k]; no motion gives the identity', () => {
    const t = fitSimilarity(
      KP,
      KP.map(([x, y]): Point => [x + 4, y + 4]),
    );
    t.forEach((v, i) => expect(v).toBeCloseTo([1, 0, 4, 4][i], 10));
    fitSimilarity(KP, KP).forEach((v, i) => expect(v).toBeCloseTo(IDENTITY_SIMILARITY[i], 12));
  });

  it('as an affine: x′ = a·x − b·y + tx, y′ = b·x + a·y + ty', () => {
    // a = 0, b = 1: a 90° turn about the origin, then (+2, +3): (1, 0) → (2, 4), (0, 1) → (1, 3)
    const m = similarityToAffine([0, 1, 2, 3]);
    expect(applyAffine(m, 1, 0)).toEqual([2, 4]);
    expect(applyAffine(m, 0, 1)).toEqual([1, 3]);
    expect(
      applySimilarity(
        [0, 1, 2, 3],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    ).toEqual([
      [2, 4],
      [1, 3],
    ]);
  });
});
