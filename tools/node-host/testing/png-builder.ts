/**
 * Hand-built PNG files for tests (each colour type exactly, and "bombs": a few bytes whose IHDR declares a huge
 * image), so decoders and header checks are exercised without committing binary fixtures.
 */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One chunk: length, type, data, CRC-32 of type + data. */
function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function ihdr(width: number, height: number, bitDepth: number, colorType: number): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b.set([bitDepth, colorType, 0, 0, 0], 8);
  return b;
}

/** A valid PNG of the given rows (filter type 0 each), colour type, bit depth and optional palette. */
export function makePng(
  width: number,
  height: number,
  colorType: number,
  bitDepth: number,
  rows: number[][],
  plte?: number[],
): Buffer {
  const raw = Buffer.from(rows.flatMap((r) => [0, ...r]));
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr(width, height, bitDepth, colorType)),
    ...(plte ? [chunk('PLTE', Buffer.from(plte))] : []),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A tiny RGB PNG whose IHDR declares width×height: `zeros` bytes of deflated zeros that a decoder would inflate on. */
export function makePngBomb(width: number, height: number, zeros = 1 << 20): Buffer {
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr(width, height, 8, 2)),
    chunk('IDAT', deflateSync(Buffer.alloc(zeros))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** PNG signature + an IHDR declaring width×height (RGBA) and nothing else: the header alone must decide. */
export function pngHeader(width: number, height: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.concat([SIGNATURE, chunk('IHDR', ihdr(width, height, 8, 6))]));
}
