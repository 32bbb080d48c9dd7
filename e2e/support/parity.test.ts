import { describe, expect, it } from 'vitest';
import { encodeRle } from '../../src/pipeline/faceptor/json.ts';
import { compareFaces, maskDisagreement } from './parity.ts';

const mask = (x: number, y: number, w: number, h: number, labels: number[]) => ({
  region: { x, y, width: w, height: h },
  width: w,
  height: h,
  rle: encodeRle(Uint8Array.from(labels)),
});

describe('parity', () => {
  it('counts differing pixels over the union of two offset regions', () => {
    // a covers x 0..1 with labels [1, 2]; b covers x 1..2 with [2, 2]: pixel 0 → 1 vs 0, 1 → 2 vs 2, 2 → 0 vs 2
    expect(maskDisagreement(mask(0, 0, 2, 1, [1, 2]), mask(1, 0, 2, 1, [2, 2]))).toBeCloseTo(2 / 3, 12);
    expect(maskDisagreement(mask(0, 0, 2, 1, [1, 2]), mask(0, 0, 2, 1, [1, 2]))).toBe(0);
  });

  it('measures each task and names what one side lacks', () => {
    const ref = {
      box: { width: 100 },
      landmarks: {
        '300w': {
          points: [
            [10, 10],
            [20, 20],
          ],
        },
      },
      age: { utkface: { years: 30 } },
      expression: { rafdb: { probs: { Happy: 0.7, Sad: 0.3 } } },
      attributes: { Smiling: 0.9 },
      identity: { embedding: [1, 0] },
    };
    const act = {
      box: { width: 100 },
      landmarks: {
        '300w': {
          points: [
            [13, 14],
            [20, 20],
          ],
        },
      },
      age: { utkface: { years: 31.5 } },
      expression: { rafdb: { probs: { Happy: 0.6, Sad: 0.4 } } },
      attributes: { Smiling: 0.85 },
      identity: { embedding: [0.6, 0.8] },
      parsing: { lapa: mask(0, 0, 1, 1, [1]) },
    };
    const d = compareFaces(act, ref);
    expect(d.landmarks).toBeCloseTo(0.05, 12); // 5 px of 100
    expect(d.ageYears).toBeCloseTo(1.5, 12);
    expect(d.expression).toBeCloseTo(0.1, 12);
    expect(d.attributes).toBeCloseTo(0.05, 12);
    expect(d.identity).toBeCloseTo(0.4, 12);
    expect(d.missing).toEqual(['parsing.lapa']);
  });
});
