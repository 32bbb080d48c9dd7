/**
 * Image files → RgbaImage for Node (CLI, tests, benchmarks). The format is read from the file's magic bytes,
 * not its name, and the declared size from its header BEFORE any decoding (src/core/image/header.ts: the same
 * limit and message as the app's worker), so an image bomb is refused without allocating its pixels.
 *
 * - `loadImageFile` / `decodeImageBytes`: full resolution. PNG via pngjs (grey, grey+alpha, palette and 16-bit are
 *   all expanded to 8-bit RGBA), JPEG via jpeg-js with explicit memory/resolution limits.
 * - `loadAnalysisImage` (the CLI): what the app analyses. Images whose long side fits MAX_ANALYSIS_SIDE decode as
 *   above; larger ones (a 12000×12000 photo) are decoded *scaled* by sharp (libvips: JPEG shrink-on-load and
 *   line-by-line PNG decoding, so memory stays near the output size), and results map back to source pixels.
 *
 * Transparent pixels follow the one alpha rule of both hosts (src/core/image/alpha.ts: composited on black).
 */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import sharp from 'sharp';
import { jpegExifOrientation, orientImage } from '../../src/core/image/exif.ts';
import { checkImageSize, MAX_MEGAPIXELS, readImageHeader, sniffImageFormat } from '../../src/core/image/header.ts';
import { compositeOnBlack } from '../../src/core/image/alpha.ts';
import { fitWithin, MAX_ANALYSIS_SIDE } from '../../src/core/image/analysis-size.ts';
import type { RgbaImage } from '../../src/core/types.ts';
import { readRegularFile } from './regular-file.ts';
import type { ErrorCode } from '../../src/core/errors.ts';

export { MAX_MEGAPIXELS, sniffImageFormat };

/** An image file that cannot be read or decoded. The message names the file. */
export class ImageFileError extends Error {
  override readonly name = 'ImageFileError';
  readonly code = 'image-file' satisfies ErrorCode;
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
  }
}

/** Largest image FILE read (a 200-megapixel JPEG is far smaller; anything bigger is not a photo). */
export const MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024;

/** Format and declared size, checked against the shared limit; throws ImageFileError naming the file. */
function checkedHeader(bytes: Uint8Array, file: string): { format: 'png' | 'jpeg'; width: number; height: number } {
  const header = readImageHeader(bytes);
  if (!header || (header.format !== 'png' && header.format !== 'jpeg'))
    throw new ImageFileError(file, 'not a PNG or JPEG image');
  if (header.width === undefined || header.height === undefined) {
    throw new ImageFileError(
      file,
      `corrupt or unsupported ${header.format.toUpperCase()} (no image size in its header)`,
    );
  }
  try {
    checkImageSize(header.width, header.height);
  } catch (err) {
    throw new ImageFileError(file, (err as Error).message);
  }
  return { format: header.format, width: header.width, height: header.height };
}

export function decodeImageBytes(bytes: Uint8Array, file = '<memory>'): RgbaImage {
  const { format } = checkedHeader(bytes, file);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'png') {
    let png: PNG;
    try {
      png = PNG.sync.read(buffer);
    } catch (err) {
      throw new ImageFileError(file, `corrupt or unsupported PNG (${(err as Error).message})`, { cause: err });
    }
    const data = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
    compositeOnBlack(data);
    return { width: png.width, height: png.height, data };
  }
  try {
    const img = jpeg.decode(buffer, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_MEGAPIXELS,
      // RGBA output (4 B/px) plus jpeg-js's component planes (~3 B/px) at the resolution limit.
      maxMemoryUsageInMB: Math.ceil(MAX_MEGAPIXELS * 8),
    });
    // Phone photos store pixels sideways plus an EXIF rotation; browsers apply it, and so do we (app ≡ CLI).
    return orientImage({ width: img.width, height: img.height, data: img.data }, jpegExifOrientation(bytes));
  } catch (err) {
    throw new ImageFileError(file, `corrupt or unsupported JPEG (${(err as Error).message ?? err})`, { cause: err });
  }
}

async function readImageBytes(path: string): Promise<Buffer> {
  try {
    return await readRegularFile(path, { maxBytes: MAX_IMAGE_FILE_BYTES });
  } catch (err) {
    throw new ImageFileError(path, (err as Error).message, { cause: err });
  }
}

/**
 * Full resolution. Images whose long side exceeds MAX_ANALYSIS_SIDE are decoded by sharp (RGBA output only, where
 * jpeg-js would need ~2.4 GB of working memory for a 12000×12000 photo); smaller ones by pngjs/jpeg-js.
 */
export async function loadImageFile(path: string): Promise<RgbaImage> {
  const bytes = await readImageBytes(path);
  const header = checkedHeader(bytes, path);
  if (Math.max(header.width, header.height) <= MAX_ANALYSIS_SIDE) return decodeImageBytes(bytes, path);
  return decodeWithSharp(bytes, header, path, orientedSize(bytes, header));
}

/** The size as shown (EXIF rotation 5–8 swaps the sides of a JPEG; PNGs are taken as stored, like decodeImageBytes). */
function orientedSize(
  bytes: Uint8Array,
  header: { format: 'png' | 'jpeg'; width: number; height: number },
): { width: number; height: number } {
  const rotated = header.format === 'jpeg' && jpegExifOrientation(bytes) >= 5;
  return rotated ? { width: header.height, height: header.width } : { width: header.width, height: header.height };
}

/** libvips decode to `size` (scaled on load where the format allows), RGBA, the shared alpha rule applied. */
async function decodeWithSharp(
  bytes: Uint8Array,
  header: { format: 'png' | 'jpeg' },
  path: string,
  size: { width: number; height: number },
): Promise<RgbaImage> {
  try {
    let pipeline = sharp(bytes, { limitInputPixels: MAX_MEGAPIXELS * 1e6, sequentialRead: true, failOn: 'error' });
    // JPEG: EXIF rotation as browsers (and decodeImageBytes) apply it; PNG: as stored, like decodeImageBytes.
    if (header.format === 'jpeg') pipeline = pipeline.autoOrient();
    const { data, info } = await pipeline
      .resize(size.width, size.height, { fit: 'fill' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== size.width || info.height !== size.height || info.channels !== 4) {
      throw new Error(
        `decoder returned ${info.width}×${info.height}×${info.channels}, expected ${size.width}×${size.height}×4`,
      );
    }
    const rgba = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    compositeOnBlack(rgba);
    return { width: info.width, height: info.height, data: rgba };
  } catch (err) {
    throw new ImageFileError(
      path,
      `corrupt or unsupported ${header.format.toUpperCase()} (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/** An image as analysed: maybe a downscaled copy, plus the size of the original (results are in its pixels). */
export interface AnalysisImage {
  readonly image: RgbaImage;
  readonly source: { readonly width: number; readonly height: number };
}

/**
 * The image the way the app analyses it (workers/perception-engine.ts): the long side at most `maxSide`, EXIF
 * rotation applied, transparent pixels on black. Memory is bounded by the output, not the source, for large files.
 */
export async function loadAnalysisImage(path: string, maxSide = MAX_ANALYSIS_SIDE): Promise<AnalysisImage> {
  const bytes = await readImageBytes(path);
  const header = checkedHeader(bytes, path);
  if (Math.max(header.width, header.height) <= maxSide) {
    const image = decodeImageBytes(bytes, path);
    return { image, source: { width: image.width, height: image.height } };
  }
  const source = orientedSize(bytes, header);
  const size = fitWithin(source.width, source.height, maxSide);
  return { image: await decodeWithSharp(bytes, header, path, size), source };
}
