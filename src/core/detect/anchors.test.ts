import { describe, expect, it } from 'vitest';
import { generateAnchors } from './anchors.ts';
import { blazeFaceAnchors } from './blazeface.ts';

// Expected centres computed by hand from the MediaPipe scheme: stride-8 layer on 128 → 16×16 cells × 2 anchors,
// three stride-16 layers → 8×8 cells × 6 anchors; centre of cell (x, y) = ((x + 0.5)/n, (y + 0.5)/n).
const centre = (a: Float32Array, i: number) => [a[2 * i], a[2 * i + 1]];

describe('BlazeFace SSD anchors', () => {
  it('front 128: 16×16×2 + 8×8×6 = 896 anchors at hand-computed centres', () => {
    const a = blazeFaceAnchors('front');
    expect(a.length / 2).toBe(896);
    expect(centre(a, 0)).toEqual([0.03125, 0.03125]); // cell (0,0) of 16, first anchor
    expect(centre(a, 1)).toEqual([0.03125, 0.03125]); // its second anchor shares the centre
    expect(centre(a, 2)).toEqual([0.09375, 0.03125]); // cell (1,0): x = 1.5/16
    expect(centre(a, 32)).toEqual([0.03125, 0.09375]); // 16 cells × 2 anchors later: row 1
    expect(centre(a, 511)).toEqual([0.96875, 0.96875]); // last of the 16×16 map
    expect(centre(a, 512)).toEqual([0.0625, 0.0625]); // first of the 8×8 map: 0.5/8
    expect(centre(a, 517)).toEqual([0.0625, 0.0625]); // 6 anchors per cell share it
    expect(centre(a, 518)).toEqual([0.1875, 0.0625]); // cell (1,0): 1.5/8
    expect(centre(a, 512 + 6 * 8 * 3 + 6 * 5)).toEqual([0.6875, 0.4375]); // cell (5,3): 5.5/8, 3.5/8
    expect(centre(a, 895)).toEqual([0.9375, 0.9375]);
  });

  it('back 256: strides 16/32/32/32 give the same 896-anchor layout', () => {
    const back = blazeFaceAnchors('back');
    expect(back.length / 2).toBe(896);
    expect(Array.from(back)).toEqual(Array.from(blazeFaceAnchors('front')));
  });

  it('groups only consecutive equal strides and rounds feature maps up', () => {
    // 100 / 8 → 13 cells (ceil); strides [8, 16, 8]: three separate groups of 2 anchors per cell.
    const a = generateAnchors({ inputSize: 100, strides: [8, 16, 8], anchorsPerLayer: 2, anchorOffset: 0.5 });
    expect(a.length / 2).toBe(13 * 13 * 2 + 7 * 7 * 2 + 13 * 13 * 2);
    expect(a[0]).toBeCloseTo(0.5 / 13, 7);
  });
});
