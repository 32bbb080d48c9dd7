import { describe, expect, it } from 'vitest';
import { fitWithin, MAX_ANALYSIS_SIDE } from './analysis-size.ts';

describe('fitWithin', () => {
  it('keeps images that already fit', () => {
    expect(fitWithin(640, 480)).toEqual({ width: 640, height: 480, scale: 1 });
    expect(fitWithin(MAX_ANALYSIS_SIDE, 10)).toEqual({ width: MAX_ANALYSIS_SIDE, height: 10, scale: 1 });
  });
  it('downscales a 12000×12000 image to the cap, keeping the aspect ratio', () => {
    expect(fitWithin(12000, 12000)).toEqual({ width: 4096, height: 4096, scale: 4096 / 12000 });
  });
  it('downscales by the long side for portrait images', () => {
    const s = fitWithin(3000, 12000, 1000);
    expect(s).toEqual({ width: 250, height: 1000, scale: 1000 / 12000 });
  });
  it('rejects images with no pixels', () => {
    expect(() => fitWithin(0, 100)).toThrow(/no pixels/);
    expect(() => fitWithin(Number.NaN, 100)).toThrow(/no pixels/);
  });
});
