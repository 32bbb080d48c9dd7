import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeGreyPng } from './png.ts';
import { labelMapOf } from './label-map.ts';
import { fromPts, toPts } from './pts.ts';
import { csvField, toCsv } from './csv.ts';

const deflate = (b: Uint8Array) => new Uint8Array(deflateSync(b));

describe('encodeGreyPng', () => {
  it('writes a PNG that pngjs (an independent decoder, CRCs checked) reads back byte for byte', async () => {
    const w = 37,
      h = 11;
    const pixels = Uint8Array.from({ length: w * h }, (_, i) => (i * 7) % 19);
    const png = PNG.sync.read(Buffer.from(await encodeGreyPng(w, h, pixels, deflate)), { skipRescale: true } as never);
    expect([png.width, png.height]).toEqual([w, h]);
    // pngjs expands greyscale to RGBA: every channel holds the label, alpha is opaque
    for (let i = 0; i < w * h; i++) {
      expect([png.data[4 * i], png.data[4 * i + 1], png.data[4 * i + 2], png.data[4 * i + 3]]).toEqual([
        pixels[i],
        pixels[i],
        pixels[i],
        255,
      ]);
    }
  });
  it('refuses a pixel count that does not match the size, and a zero size', async () => {
    await expect(encodeGreyPng(2, 2, new Uint8Array(3), deflate)).rejects.toThrow(/expected 4 pixels/);
    await expect(encodeGreyPng(0, 2, new Uint8Array(0), deflate)).rejects.toThrow(/positive whole size/);
  });
});

describe('labelMapOf', () => {
  it('pastes the region at its place, background 0 elsewhere, clipped at the image edges', () => {
    // 3×2 mask at (-1, 1) in a 4×3 image: its first column falls off the left edge
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const map = labelMapOf({ region: { x: -1, y: 1, width: 3, height: 2 }, width: 3, height: 2, data }, 4, 3);
    expect(Array.from(map)).toEqual([0, 0, 0, 0, 2, 3, 0, 0, 5, 6, 0, 0]);
  });
  it('refuses a mask whose data does not match its size', () => {
    expect(() =>
      labelMapOf({ region: { x: 0, y: 0, width: 2, height: 2 }, width: 2, height: 2, data: new Uint8Array(3) }, 4, 4),
    ).toThrow(/holds 3 values/);
  });
});

describe('.pts', () => {
  it('writes the 300W header, one "x y" row per point, 1-based like the 300W annotations', () => {
    expect(
      toPts([
        [0, 0],
        [10.25, 20.5],
      ]),
    ).toBe('version: 1\nn_points:  2\n{\n1 1\n11.25 21.5\n}\n');
  });
  it('reads back what it wrote (0-based again) and refuses a wrong count', () => {
    const points: [number, number][] = Array.from({ length: 68 }, (_, i) => [i * 1.5, 100 - i]);
    expect(fromPts(toPts(points))).toEqual(points);
    expect(() => fromPts('version: 1\nn_points: 3\n{\n1 1\n}\n')).toThrow(/says 3 points, found 1/);
  });
});

describe('CSV', () => {
  it('quotes commas, quotes and newlines, and defuses spreadsheet formulas', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField('-2')).toBe('-2');
    expect(csvField(NaN)).toBe('');
    expect(
      toCsv(
        ['a', 'b'],
        [
          [1, null],
          ['x\ny', true],
        ],
      ),
    ).toBe('a,b\r\n1,\r\n"x\ny",true\r\n');
  });
});
