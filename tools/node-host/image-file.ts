/**
 * Image files → RgbaImage for Node (CLI, tests, benchmarks). The format is read from the file's magic bytes,
 * not its name, and the declared size from its header BEFORE any decoding (src/core/image/header.ts: the same
 * limit and message as the app's worker), so an image bomb is refused without allocating its pixels.
 *
 * - `loadImageFile` / `loadAnalysisImage` (files: the CLI, tests, benchmarks) decode with sharp (libvips over
 *   libjpeg-turbo and libspng/libpng): the same JPEG decoder as Chromium, so the CLI sees the pixels the app sees
 *   (measured: bit-identical RGBA to Chromium's createImageBitmap on the shared photos, where jpeg-js differed by up
 *   to 46 levels), at a fraction of the CPU of the pure-JS decoders (the CLI's `--workers` throughput, issue 15).
 *   `loadAnalysisImage` decodes images whose long side exceeds MAX_ANALYSIS_SIDE *scaled* (JPEG shrink-on-load,
 *   line-by-line PNG decoding: memory stays near the output size), and results map back to source pixels.
 * - `decodeImageBytes` (bytes already in memory, synchronous): pngjs / jpeg-js with explicit memory/resolution
 *   limits. Grey, grey+alpha, palette and 16-bit PNGs are expanded to 8-bit RGBA by both paths.
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

/** Full resolution, EXIF rotation applied (JPEG), transparent pixels on black; decoded by libvips (see above). */
export async function loadImageFile(path: string): Promise<RgbaImage> {
  const bytes = await readImageBytes(path);
  const header = checkedHeader(bytes, path);
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

/**
 * libvips decode to `size` (scaled on load where the format allows; not resized when `size` is the image's own),
 * 8-bit sRGB RGBA, the shared alpha rule applied.
 */
async function decodeWithSharp(
  bytes: Uint8Array,
  header: { format: 'png' | 'jpeg'; width: number; height: number },
  path: string,
  size: { width: number; height: number },
): Promise<RgbaImage> {
  try {
    let pipeline = sharp(bytes, { limitInputPixels: MAX_MEGAPIXELS * 1e6, sequentialRead: true, failOn: 'error' });
    // JPEG: EXIF rotation as browsers (and decodeImageBytes) apply it; PNG: as stored, like decodeImageBytes.
    if (header.format === 'jpeg') pipeline = pipeline.autoOrient();
    const oriented = orientedSize(bytes, header);
    if (size.width !== oriented.width || size.height !== oriented.height)
      pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' });
    // sRGB: grey (and grey+alpha) PNGs come out as RGB(A), 16-bit ones as 8-bit, like pngjs and the browser
    const { data, info } = await pipeline
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (
      info.width !== size.width ||
      info.height !== size.height ||
      info.channels !== 4 ||
      data.byteLength !== size.width * size.height * 4
    ) {
      throw new Error(
        `decoder returned ${info.width}×${info.height}×${info.channels} (${data.byteLength} bytes), expected ${size.width}×${size.height}×4`,
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

/**
 * For the CLI: one libvips thread per decode and no libvips operation cache. Each analysing thread decodes one
 * image at a time, so one core per worker is all a decode should take (libvips' default, one thread per core, would
 * let `--workers 1` borrow the second core and `--workers N` oversubscribe); the cache only keeps memory, as no file
 * is decoded twice. Process-wide (libvips is shared by all worker threads); idempotent.
 */
export function decodeOnOneThread(): void {
  sharp.concurrency(1);
  sharp.cache(false);
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
  const source = orientedSize(bytes, header);
  const size = fitWithin(source.width, source.height, maxSide);
  return { image: await decodeWithSharp(bytes, header, path, size), source };
}
