import { describe, expect, it } from 'vitest';
import { decodeRle, encodeRle, faceTaskResultsToJson } from './json.ts';

describe('parsing mask run-length encoding', () => {
  it('encodes a hand-written mask as value,count pairs and back', () => {
    const mask = Uint8Array.from([0, 0, 0, 2, 2, 5, 0, 0]);
    expect(encodeRle(mask)).toEqual([0, 3, 2, 2, 5, 1, 0, 2]);
    expect(Array.from(decodeRle([0, 3, 2, 2, 5, 1, 0, 2], 8))).toEqual(Array.from(mask));
    expect(encodeRle(new Uint8Array(0))).toEqual([]);
  });
  it('refuses runs that do not cover the mask exactly', () => {
    expect(() => decodeRle([0, 3], 4)).toThrow(/cover 3 pixels, the mask has 4/);
    expect(() => decodeRle([0, 5], 4)).toThrow(/more than 4/);
    expect(() => decodeRle([0], 1)).toThrow(/odd/);
    expect(() => decodeRle([300, 1], 1)).toThrow(/bad run/);
  });
  it('JSON form: masks as RLE with their region, numbers rounded, absent tasks absent', () => {
    const j = faceTaskResultsToJson({
      parsing: {
        lapa: {
          labels: ['background', 'skin'],
          region: { x: 3, y: 4, width: 2, height: 2 },
          width: 2,
          height: 2,
          data: Uint8Array.from([1, 1, 0, 1]),
        },
      },
      landmarks: { aflw: { points: [[1.23456, 2.34567]] } },
    });
    expect(j).toEqual({
      parsing: {
        lapa: {
          labels: ['background', 'skin'],
          region: { x: 3, y: 4, width: 2, height: 2 },
          width: 2,
          height: 2,
          encoding: 'rle',
          rle: [1, 2, 0, 1, 1, 1],
        },
      },
      landmarks: { aflw: { points: [[1.23, 2.35]] } },
    });
  });
});
