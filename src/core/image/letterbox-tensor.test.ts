import { describe, expect, it } from 'vitest';
import { rgbaToLetterboxTensor } from './letterbox-tensor.ts';
import type { RgbaImage } from '../types.ts';

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      data.set([...pixel(x, y), 255], (y * width + x) * 4);
    }
  return { width, height, data };
}

const at = (t: Float32Array, size: number, x: number, y: number) =>
  Array.from(t.subarray((y * size + x) * 3, (y * size + x) * 3 + 3));

describe('rgbaToLetterboxTensor', () => {
  it('copies pixels at 1:1, pads with black (-1) and maps 0..255 to -1..1', () => {
    // 4×2 image into a 4×4 square: scale 1, one padding row above and below.
    const img = image(4, 2, (x, y) => [x * 85, y * 255, 51]);
    const { data, letterbox, taps, dims } = rgbaToLetterboxTensor(img, 4);
    expect(dims).toEqual([1, 4, 4, 3]);
    expect(taps).toBe(1);
    expect(letterbox).toMatchObject({ scale: 1, padX: 0, padY: 1 });
    for (let x = 0; x < 4; x++) {
      expect(at(data, 4, x, 0)).toEqual([-1, -1, -1]);
      expect(at(data, 4, x, 3)).toEqual([-1, -1, -1]);
    }
    expect(at(data, 4, 0, 1)).toEqual([-1, -1, expect.closeTo(-0.6, 6)]);
    expect(at(data, 4, 3, 2).map((v) => Number(v.toFixed(6)))).toEqual([1, 1, -0.6]);
    expect(at(data, 4, 2, 1)[0]).toBeCloseTo(170 / 127.5 - 1, 6);
  });

  it('averages over the footprint when shrinking, so fine patterns do not alias', () => {
    // 6-px checkerboard squares, 192 → 16 (12 source pixels per output pixel): every output pixel covers two
    // whole periods, so the true area average is mid-grey (0). Point sampling would give ±1.
    const img = image(192, 192, (x, y) => ((Math.floor(x / 6) + Math.floor(y / 6)) % 2 ? [255, 255, 255] : [0, 0, 0]));
    const { data, taps } = rgbaToLetterboxTensor(img, 16);
    expect(taps).toBe(4);
    for (const v of data) expect(Math.abs(v)).toBeLessThan(1e-6);
  });

  it('keeps a solid colour exact and fills a reused buffer', () => {
    const out = new Float32Array(8 * 8 * 3).fill(42);
    const img = image(40, 40, () => [255, 0, 127]);
    rgbaToLetterboxTensor(img, 8, { out });
    expect(at(out, 8, 3, 5)).toEqual([1, -1, expect.closeTo(127 / 127.5 - 1, 6)]);
    expect(out.includes(42)).toBe(false);
  });

  it('gives identical results for unaligned image memory (byte-wise path) and aligned memory (packed path)', () => {
    const img = image(37, 23, (x, y) => [(x * 7 + y * 3) % 256, (x * y) % 256, (255 - x * 5) & 255]);
    const backing = new Uint8Array(img.data.length + 1);
    backing.set(img.data, 1);
    const unaligned = { width: 37, height: 23, data: backing.subarray(1) };
    for (const size of [4, 8, 16, 64]) {
      expect(Array.from(rgbaToLetterboxTensor(unaligned, size).data)).toEqual(
        Array.from(rgbaToLetterboxTensor(img, size).data),
      );
    }
    // And the packed sum is the plain average: 37×23 → 4 (ratio 9.25 → 4×4 taps) on a constant colour.
    const flat = rgbaToLetterboxTensor(
      image(37, 23, () => [255, 128, 1]),
      4,
    );
    expect(flat.taps).toBe(4);
    expect(at(flat.data, 4, 2, 2)).toEqual([1, expect.closeTo(128 / 127.5 - 1, 6), expect.closeTo(1 / 127.5 - 1, 6)]);
  });

  it('rejects a buffer of the wrong size and malformed images', () => {
    const img = image(2, 2, () => [0, 0, 0]);
    expect(() => rgbaToLetterboxTensor(img, 8, { out: new Float32Array(3) })).toThrow(/expected 192/);
    expect(() => rgbaToLetterboxTensor({ width: 2, height: 2, data: new Uint8Array(3) }, 8)).toThrow(/needs 16 bytes/);
    expect(() => rgbaToLetterboxTensor({ width: 0, height: 2, data: new Uint8Array(0) }, 8)).toThrow(
      /positive integers/,
    );
  });
});
