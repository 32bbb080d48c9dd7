import { describe, expect, it } from 'vitest';
import { jpegExifOrientation, orientImage, type ExifOrientation } from './exif.ts';

/** SOI + APP1 "Exif" with one IFD0 entry (Orientation, SHORT) in the given byte order, then a stub SOS. */
function jpegWithOrientation(value: number, order: 'II' | 'MM', before: number[][] = []): Uint8Array {
  const le = order === 'II';
  const u16 = (v: number) => (le ? [v & 0xff, v >> 8] : [v >> 8, v & 0xff]);
  const u32 = (v: number) =>
    le
      ? [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24]
      : [v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
  const tiff = [
    ...[...order].map((c) => c.charCodeAt(0)),
    ...u16(42),
    ...u32(8), // header, IFD0 at 8
    ...u16(2), // two entries: an unrelated one first
    ...u16(0x010f),
    ...u16(2),
    ...u32(4),
    ...u32(0), // Make (ASCII), value elsewhere
    ...u16(0x0112),
    ...u16(3),
    ...u32(1),
    ...u16(value),
    0,
    0,
    ...u32(0),
  ];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const app1 = [0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
  return Uint8Array.from([0xff, 0xd8, ...before.flat(), ...app1, 0xff, 0xda, 0, 2]);
}

describe('jpegExifOrientation', () => {
  it('reads the tag in both byte orders, after other segments', () => {
    const app0 = [0xff, 0xe0, 0, 6, 0x4a, 0x46, 0x49, 0x46]; // a JFIF-like APP0 first
    for (const v of [1, 3, 6, 8]) {
      expect(jpegExifOrientation(jpegWithOrientation(v, 'MM'))).toBe(v);
      expect(jpegExifOrientation(jpegWithOrientation(v, 'II', [app0]))).toBe(v);
    }
  });

  it('is 1 (as stored) for no EXIF, a bad value, truncated or foreign bytes', () => {
    expect(jpegExifOrientation(Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0, 2]))).toBe(1);
    expect(jpegExifOrientation(jpegWithOrientation(9, 'MM'))).toBe(1);
    const full = jpegWithOrientation(6, 'II');
    for (let n = 0; n < full.length; n++) expect(() => jpegExifOrientation(full.subarray(0, n))).not.toThrow();
    expect(jpegExifOrientation(full.subarray(0, 30))).toBe(1);
    expect(jpegExifOrientation(Uint8Array.from([0x89, 0x50, 0x4e, 0x47]))).toBe(1);
  });
});

describe('orientImage', () => {
  // stored 3×2, pixel value = its letter:  a b c
  //                                         d e f
  const stored = {
    width: 3,
    height: 2,
    data: Uint8Array.from('abcdef'.split('').flatMap((ch) => [ch.charCodeAt(0), 0, 0, 255])),
  };
  const rows = (img: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }) =>
    Array.from({ length: img.height }, (_, y) =>
      Array.from({ length: img.width }, (_, x) => String.fromCharCode(img.data[(y * img.width + x) * 4])).join(''),
    );

  it('matches the EXIF definitions, drawn by hand', () => {
    const expected: Record<ExifOrientation, string[]> = {
      1: ['abc', 'def'],
      2: ['cba', 'fed'], // mirrored
      3: ['fed', 'cba'], // 180°
      4: ['def', 'abc'], // flipped
      5: ['ad', 'be', 'cf'], // transposed
      6: ['da', 'eb', 'fc'], // 90° clockwise
      7: ['fc', 'eb', 'da'], // transversed
      8: ['cf', 'be', 'ad'], // 90° counter-clockwise
    };
    for (const [o, want] of Object.entries(expected))
      expect(rows(orientImage(stored, Number(o) as ExifOrientation)), `orientation ${o}`).toEqual(want);
  });

  it('keeps the alpha and every byte of each pixel, whatever the buffer offset', () => {
    const backing = new Uint8Array(stored.data.length + 1);
    backing.set(stored.data, 1);
    const offset = { width: 3, height: 2, data: backing.subarray(1) };
    expect(orientImage(offset, 6).data).toEqual(orientImage(stored, 6).data);
    expect([...orientImage(stored, 6).data].filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
  });
});
