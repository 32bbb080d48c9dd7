import { describe, expect, it } from 'vitest';
import { intersectionOverUnion, weightedNonMaxSuppression } from './nms.ts';
import type { NormalizedDetection } from './decode.ts';

const det = (
  xMin: number,
  yMin: number,
  xMax: number,
  yMax: number,
  score: number,
  kp: number[] = [0, 0],
): NormalizedDetection => ({ xMin, yMin, xMax, yMax, score, keypoints: Float32Array.from(kp) });

describe('intersectionOverUnion', () => {
  it('matches hand-computed overlaps', () => {
    expect(intersectionOverUnion(det(0, 0, 1, 1, 1), det(0.5, 0, 1.5, 1, 1))).toBeCloseTo(1 / 3, 9); // 0.5 / 1.5
    expect(intersectionOverUnion(det(0, 0, 1, 1, 1), det(0.6, 0, 1.6, 1, 1))).toBeCloseTo(0.25, 9); // 0.4 / 1.6
    expect(intersectionOverUnion(det(0, 0, 1, 1, 1), det(2, 2, 3, 3, 1))).toBe(0);
    expect(intersectionOverUnion(det(0, 0, 2, 2, 1), det(0.5, 0.5, 1.5, 1.5, 1))).toBeCloseTo(0.25, 9); // 1 / 4
  });
});

describe('weightedNonMaxSuppression (MediaPipe WEIGHTED, IoU 0.3)', () => {
  it('blends overlapping boxes and keypoints by score and keeps the best score', () => {
    const out = weightedNonMaxSuppression([
      det(0.5, 0, 1.5, 1, 0.6, [1, 1]), // IoU 1/3 with the best → blended
      det(0, 0, 1, 1, 0.9, [0, 0]),
      det(5, 5, 6, 6, 0.7, [5, 5]), // far away → its own face
    ]);
    expect(out).toHaveLength(2);
    const [a, b] = out;
    expect(a.score).toBe(0.9);
    expect(a.xMin).toBeCloseTo((0.9 * 0 + 0.6 * 0.5) / 1.5, 9); // 0.2
    expect(a.xMax).toBeCloseTo((0.9 * 1 + 0.6 * 1.5) / 1.5, 9); // 1.2
    expect(a.yMin).toBeCloseTo(0, 9);
    expect(a.yMax).toBeCloseTo(1, 9);
    expect(a.keypoints[0]).toBeCloseTo(0.4, 6); // 0.6 / 1.5
    expect(b).toMatchObject({ xMin: 5, score: 0.7 });
  });

  it('does not blend boxes at or below the threshold', () => {
    const out = weightedNonMaxSuppression([det(0, 0, 1, 1, 0.9), det(0.6, 0, 1.6, 1, 0.8)]); // IoU 0.25
    expect(out.map((d) => d.xMin)).toEqual([0, 0.6]);
  });

  it('limits the number of faces, best first', () => {
    const out = weightedNonMaxSuppression([det(0, 0, 1, 1, 0.6), det(3, 3, 4, 4, 0.95), det(6, 6, 7, 7, 0.8)], {
      maxDetections: 2,
    });
    expect(out.map((d) => d.score)).toEqual([0.95, 0.8]);
  });

  it('returns nothing for no candidates', () => {
    expect(weightedNonMaxSuppression([])).toEqual([]);
  });
});
