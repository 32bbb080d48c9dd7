/**
 * EXIF orientation for hosts that decode JPEGs themselves (the Node CLI: jpeg-js returns the stored pixels).
 * Browsers apply it when decoding (createImageBitmap with imageOrientation 'from-image'), so without this a
 * rotated phone photo would be analysed upright in the app and sideways in the CLI. Pure; never throws on bad
 * bytes (a malformed or absent tag means "as stored").
 */
import type { RgbaImage } from '../types.ts';

/** EXIF Orientation (TIFF tag 0x0112): 1 = as stored … 8; see orientImage. */
export type ExifOrientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const ORIENTATION_TAG = 0x0112;

/** The Orientation tag of a JPEG's APP1 "Exif" segment; 1 when there is none or it cannot be read. */
export function jpegExifOrientation(bytes: Uint8Array): ExifOrientation {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return 1;
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    if (marker === 0xda || marker === 0xd9) break; // start of scan / end of image: metadata comes before
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (length < 2) break;
    const start = at + 4,
      end = Math.min(bytes.length, at + 2 + length);
    if (marker === 0xe1 && end - start >= 14 && isExifHeader(bytes, start))
      return tiffOrientation(bytes.subarray(start + 6, end));
    at += 2 + length;
  }
  return 1;
}

function isExifHeader(b: Uint8Array, at: number): boolean {
  return (
    b[at] === 0x45 &&
    b[at + 1] === 0x78 &&
    b[at + 2] === 0x69 &&
    b[at + 3] === 0x66 &&
    b[at + 4] === 0 &&
    b[at + 5] === 0
  );
}

/** Reads IFD0's Orientation entry from a TIFF block (byte order from its "II"/"MM" header). */
function tiffOrientation(tiff: Uint8Array): ExifOrientation {
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 1;
  const u16 = (at: number) =>
    at + 2 > tiff.length ? -1 : little ? tiff[at] | (tiff[at + 1] << 8) : (tiff[at] << 8) | tiff[at + 1];
  const u32 = (at: number) =>
    at + 4 > tiff.length
      ? -1
      : little
        ? (tiff[at] | (tiff[at + 1] << 8) | (tiff[at + 2] << 16)) + tiff[at + 3] * 2 ** 24
        : tiff[at] * 2 ** 24 + ((tiff[at + 1] << 16) | (tiff[at + 2] << 8) | tiff[at + 3]);
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  const count = ifd < 0 ? -1 : u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + 12 * i;
    if (u16(entry) !== ORIENTATION_TAG) continue;
    const value = u16(entry + 2) === 3 ? u16(entry + 8) : -1; // type SHORT, value inline
    return value >= 1 && value <= 8 ? (value as ExifOrientation) : 1;
  }
  return 1;
}

/**
 * The image as it is meant to be seen. For a stored w×h image, stored pixel (x, y) is shown at:
 * 1 (x, y) · 2 mirrored (w−1−x, y) · 3 rotated 180° (w−1−x, h−1−y) · 4 flipped (x, h−1−y) ·
 * 5 transposed (y, x) · 6 rotated 90° clockwise (h−1−y, x) · 7 transversed (h−1−y, w−1−x) ·
 * 8 rotated 90° counter-clockwise (y, w−1−x). 5–8 swap width and height.
 */
export function orientImage(image: RgbaImage, orientation: ExifOrientation): RgbaImage {
  if (orientation === 1) return image;
  const { width: w, height: h, data } = image;
  const swap = orientation >= 5;
  const W = swap ? h : w,
    H = swap ? w : h;
  const out = new Uint8Array(W * H * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let dx: number, dy: number;
      switch (orientation) {
        case 2:
          dx = w - 1 - x;
          dy = y;
          break;
        case 3:
          dx = w - 1 - x;
          dy = h - 1 - y;
          break;
        case 4:
          dx = x;
          dy = h - 1 - y;
          break;
        case 5:
          dx = y;
          dy = x;
          break;
        case 6:
          dx = h - 1 - y;
          dy = x;
          break;
        case 7:
          dx = h - 1 - y;
          dy = w - 1 - x;
          break;
        default:
          dx = y;
          dy = w - 1 - x;
          break; // 8
      }
      const from = (y * w + x) * 4,
        to = (dy * W + dx) * 4; // byte copies: `data` may sit at any offset
      out[to] = data[from];
      out[to + 1] = data[from + 1];
      out[to + 2] = data[from + 2];
      out[to + 3] = data[from + 3];
    }
  }
  return { width: W, height: H, data: out };
}
