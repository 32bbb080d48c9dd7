import { describe, expect, it } from 'vitest';
import { barGeometry, sharesByBlock, sparklinePath } from './charts.ts';

describe('sparklinePath', () => {
  it('scales the peak to the top and spreads bins over the width', () => {
    // 3 bins over width 10: x = 0, 5, 10; peak 0.5 → y 0; 0.25 → y = 20·(1 − 0.5) = 10; 0 → baseline 20
    expect(sparklinePath([0.25, 0.5, 0], 10, 20)).toBe('M0,10 L5,0 L10,20');
  });
  it('101 age bins: bin 30 at x = 30·(100/100) = 30, only the peak at the top', () => {
    const d = Array.from({ length: 101 }, (_, i) => (i === 30 ? 0.8 : i === 31 ? 0.2 : 0));
    const points = sparklinePath(d, 100, 16).split(' ');
    expect(points).toHaveLength(101);
    expect(points[0]).toBe('M0,16');
    expect(points[30]).toBe('L30,0');
    expect(points[31]).toBe('L31,12'); // 16·(1 − 0.2/0.8) = 12
    expect(points[100]).toBe('L100,16');
  });
  it('all-zero or empty input stays on the baseline / is empty', () => {
    expect(sparklinePath([0, 0], 4, 3)).toBe('M0,3 L4,3');
    expect(sparklinePath([], 4, 3)).toBe('');
  });
});

describe('barGeometry', () => {
  it('splits the width minus gaps evenly and stands bars on the bottom', () => {
    // width 100, 4 bars, gap 4 → bar width (100 − 12)/4 = 22; x = 0, 26, 52, 78
    const bars = barGeometry([0, 0.5, 1, 0.25], { width: 100, height: 40, gap: 4 });
    expect(bars).toEqual([
      { x: 0, y: 40, width: 22, height: 0 },
      { x: 26, y: 20, width: 22, height: 20 },
      { x: 52, y: 0, width: 22, height: 40 },
      { x: 78, y: 30, width: 22, height: 10 },
    ]);
  });
  it('uses max for the scale and clamps values outside [0, max]', () => {
    const bars = barGeometry([0.3, 0.6, 2, -1], { width: 8, height: 10, max: 0.6 });
    expect(bars.map((b) => b.height)).toEqual([5, 10, 10, 0]);
    expect(bars.map((b) => b.x)).toEqual([0, 2, 4, 6]);
  });
});

describe('sharesByBlock', () => {
  it('orders by encoder block, not by memory level', () => {
    const shares = [11, 1, 3, 5, 7, 9].map((block) => ({ block, fraction: block / 36 }));
    expect(sharesByBlock(shares).map((s) => s.block)).toEqual([1, 3, 5, 7, 9, 11]);
    expect(shares[0].block).toBe(11); // input untouched
  });
});
