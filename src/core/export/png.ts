/**
 * A minimal PNG writer for 8-bit greyscale images (parsing label maps: pixel value = class index). Pure: the
 * DEFLATE step is passed in (the browser's CompressionStream('deflate') or Node's zlib.deflateSync), because both
 * hosts already have a zlib and a copy here would be dead weight. `deflate` must produce a zlib stream (RFC 1950),
 * which is what PNG's IDAT holds.
 */

export type Deflate = (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let crcTable: Uint32Array | null = null;
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** PNG's size limit per side (2^31 − 1); anything larger is refused rather than written wrong. */
const MAX_SIDE = 0x7fffffff;

/** Encodes `pixels` (width·height bytes, row-major) as an 8-bit greyscale PNG. */
export async function encodeGreyPng(
  width: number,
  height: number,
  pixels: Uint8Array,
  deflate: Deflate,
): Promise<Uint8Array> {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > MAX_SIDE ||
    height > MAX_SIDE
  ) {
    throw new Error(`a PNG needs a positive whole size; got ${width}×${height}`);
  }
  if (pixels.length !== width * height)
    throw new Error(`expected ${width * height} pixels for ${width}×${height}, got ${pixels.length}`);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type 0: greyscale
  // compression 0, filter 0, interlace 0 (ihdr[10..12] stay 0)
  // Each scanline starts with its filter byte (0 = none): label maps are flat areas that DEFLATE packs well as is.
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const idat = await deflate(raw);
  const parts = [
    Uint8Array.from(SIGNATURE),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
