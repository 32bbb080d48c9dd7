import { describe, expect, it } from 'vitest';
import { canvasTransform } from './crop.ts';
import { applyAffine, type Affine } from '../../core/align/affine.ts';

describe('canvasTransform', () => {
  it('maps a source pixel centre (k + ½ on a canvas) to the crop pixel centre the core matrix gives', () => {
    const m: Affine = [0.8, -0.3, 12, 0.3, 0.8, -7];
    const [a, b, c, d, e, f] = canvasTransform(m);
    for (const [x, y] of [
      [0, 0],
      [10, 3],
      [-4, 50],
    ] as const) {
      const [cx, cy] = applyAffine(m, x, y);
      // canvas: x' = a·X + c·Y + e with X = x + ½
      expect(a * (x + 0.5) + c * (y + 0.5) + e).toBeCloseTo(cx + 0.5, 12);
      expect(b * (x + 0.5) + d * (y + 0.5) + f).toBeCloseTo(cy + 0.5, 12);
    }
  });
});
