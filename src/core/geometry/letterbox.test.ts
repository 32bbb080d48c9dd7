import { describe, expect, it } from 'vitest';
import { computeLetterbox, normalizedLengthToSource, normalizedToSource, sourceToNormalized } from './letterbox.ts';

describe('letterbox', () => {
  it('fits a landscape image with vertical padding', () => {
    const lb = computeLetterbox(200, 100, 128);
    expect(lb).toMatchObject({ scale: 0.64, padX: 0, padY: 32 });
    // The tensor centre is the image centre: pixel-centre coordinates (99.5, 49.5).
    expect(normalizedToSource(lb, 0.5, 0.5)).toEqual([99.5, 49.5]);
    // Top-left corner of the content (u = 0, v = 32/128) is the outer corner of pixel (0,0): (-0.5, -0.5).
    expect(normalizedToSource(lb, 0, 0.25)).toEqual([-0.5, -0.5]);
    expect(normalizedToSource(lb, 1, 0.75)).toEqual([199.5, 99.5]);
    expect(normalizedLengthToSource(lb, 0.5)).toBeCloseTo(100, 9);
  });

  it('fits a portrait image with horizontal padding (fractional pad stays exact)', () => {
    const lb = computeLetterbox(3, 7, 128);
    expect(lb.padY).toBe(0);
    expect(lb.padX).toBeCloseTo((128 - (3 * 128) / 7) / 2, 12);
    for (const [x, y] of [
      [0, 0],
      [2, 6],
      [1.25, 3.5],
    ] as const) {
      const [u, v] = sourceToNormalized(lb, x, y);
      const [bx, by] = normalizedToSource(lb, u, v);
      expect(bx).toBeCloseTo(x, 9);
      expect(by).toBeCloseTo(y, 9);
    }
  });

  it('rejects empty images', () => {
    expect(() => computeLetterbox(0, 10, 128)).toThrow(/empty/);
  });
});
