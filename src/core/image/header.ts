/**
 * Image dimensions read from the file header, before anything is decoded. Pure: no DOM, no Node.
 *
 * Why: a 1 MB PNG can declare 20000×20000 pixels (1.6 GB as RGBA). Decoders allocate the whole canvas first and
 * check sizes afterwards, so the CLI (tools/node-host/image-file.ts) and the app's worker (workers/perception-engine.ts)
 * both read the declared size here and refuse or downscale BEFORE decoding, with the same limit and message.
 *
 * Every length and offset read from the bytes is bounds-checked: a truncated or hostile header gives `undefined`
 * dimensions, never an out-of-range read.
 */

/** Largest image either host decodes: 200 megapixels (a 12000×12000 photo is 144). */
export const MAX_MEGAPIXELS = 200;

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

export interface ImageHeader {
  readonly format: ImageFormat;
  /** Declared size; undefined when the header is cut short or malformed (the bytes given end before it). */
  readonly width?: number;
  readonly height?: number;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u24le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const i32le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
const ascii = (b: Uint8Array, i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));

/** The format from the magic bytes (not the file name), or undefined for anything else. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  return undefined;
}

/** JPEG: walks the marker segments up to the first SOFn (frame header: precision, height, width). */
function jpegSize(b: Uint8Array): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined; // not at a marker: corrupt
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    } // fill byte
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    } // no length
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI / scan data before any frame header
    const length = u16be(b, i + 2);
    if (length < 2) return undefined;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (length < 7 || i + 9 > b.length) return undefined;
      return { height: u16be(b, i + 5), width: u16be(b, i + 7) };
    }
    i += 2 + length;
  }
  return undefined;
}

function webpSize(b: Uint8Array): { width: number; height: number } | undefined {
  if (b.length < 30) return undefined;
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X') return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === 'VP8L' && b[20] === 0x2f) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ' && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  return undefined;
}

/**
 * Reads the format and declared size from the first bytes of a file (the first 1 MiB is plenty for real files:
 * the JPEG frame header follows at most a few 64 KiB metadata segments). Undefined: not a format we know.
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader | undefined {
  const format = sniffImageFormat(bytes);
  if (!format) return undefined;
  let size: { width: number; height: number } | undefined;
  if (format === 'png') {
    // signature, then the IHDR chunk must come first: length 13, 'IHDR', width, height
    if (bytes.length >= 24 && ascii(bytes, 12, 4) === 'IHDR')
      size = { width: u32be(bytes, 16), height: u32be(bytes, 20) };
  } else if (format === 'jpeg') size = jpegSize(bytes);
  else if (format === 'gif') {
    if (bytes.length >= 10) size = { width: u16le(bytes, 6), height: u16le(bytes, 8) };
  } else if (format === 'webp') size = webpSize(bytes);
  else if (bytes.length >= 26) size = { width: Math.abs(i32le(bytes, 18)), height: Math.abs(i32le(bytes, 22)) }; // bmp: height < 0 = top-down
  return size ? { format, ...size } : { format };
}

/**
 * The one size rule of both hosts: throws (message without the file name; callers prefix it) when the declared
 * size is empty or above MAX_MEGAPIXELS.
 */
export function checkImageSize(width: number, height: number, maxMegapixels = MAX_MEGAPIXELS): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`the image declares no pixels (${width}×${height}): corrupt header`);
  }
  const mp = (width * height) / 1e6;
  if (mp > maxMegapixels) {
    throw new Error(
      `image is ${width}×${height} (${mp.toFixed(0)} megapixels), larger than the ${maxMegapixels} megapixels Faceptor Web decodes: refused before decoding (downscale it first)`,
    );
  }
}
