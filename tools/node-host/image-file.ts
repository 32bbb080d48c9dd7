/**
 * Image files → RgbaImage for Node (CLI, tests, benchmarks). The format is read from the file's magic bytes,
 * not its name. PNG via pngjs (grey, grey+alpha, palette and 16-bit are all expanded to 8-bit RGBA), JPEG via
 * jpeg-js with explicit memory/resolution limits so a hostile file cannot exhaust memory.
 */
import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { jpegExifOrientation, orientImage } from '../../src/core/image/exif.ts';
import type { RgbaImage } from '../../src/core/types.ts';

/** An image file that cannot be read or decoded. The message names the file. */
export class ImageFileError extends Error {
  override readonly name = 'ImageFileError';
  constructor(readonly file: string, reason: string, options?: { cause?: unknown }) {
    super(`${file}: ${reason}`, options);
  }
}

/** Largest JPEG/PNG we decode: 200 megapixels (a 12000×12000 photo is 144). */
export const MAX_MEGAPIXELS = 200;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

export function decodeImageBytes(bytes: Uint8Array, file = '<memory>'): RgbaImage {
  const format = sniffImageFormat(bytes);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'png') {
    let png: PNG;
    try {
      png = PNG.sync.read(buffer);
    } catch (err) {
      throw new ImageFileError(file, `corrupt or unsupported PNG (${(err as Error).message})`, { cause: err });
    }
    if (png.width * png.height > MAX_MEGAPIXELS * 1e6) throw new ImageFileError(file, `image is larger than ${MAX_MEGAPIXELS} megapixels`);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  }
  if (format === 'jpeg') {
    try {
      const img = jpeg.decode(buffer, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_MEGAPIXELS,
        // RGBA output (4 B/px) plus jpeg-js's component planes (~3 B/px) at the resolution limit.
        maxMemoryUsageInMB: Math.ceil((MAX_MEGAPIXELS * 8)),
      });
      // Phone photos store pixels sideways plus an EXIF rotation; browsers apply it, and so do we (app ≡ CLI).
      return orientImage({ width: img.width, height: img.height, data: img.data }, jpegExifOrientation(bytes));
    } catch (err) {
      throw new ImageFileError(file, `corrupt or unsupported JPEG (${(err as Error).message ?? err})`, { cause: err });
    }
  }
  throw new ImageFileError(file, 'not a PNG or JPEG image');
}

export async function loadImageFile(path: string): Promise<RgbaImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImageFileError(path, code === 'ENOENT' ? 'file not found' : `cannot read the file (${(err as Error).message})`, { cause: err });
  }
  return decodeImageBytes(bytes, path);
}
