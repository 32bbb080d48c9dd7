/** Header-first image sizes: real encoders' headers, hand-built bombs, truncated and hostile bytes. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkImageSize, MAX_MEGAPIXELS, readImageHeader } from './header.ts';
import { pngHeader } from '../../../tools/node-host/testing/png-builder.ts';

const FACES = join(import.meta.dirname, '../../../../shared/faces');

/** SOI, an APP0 segment, then SOF0 declaring w×h. */
export function jpegHeader(width: number, height: number): Uint8Array {
  const app0 = [0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof = [0xff, 0xc0, 0, 11, 8, height >> 8, height & 255, width >> 8, width & 255, 1, 1, 0x11, 0];
  return Uint8Array.from([0xff, 0xd8, ...app0, ...sof]);
}

describe('readImageHeader', () => {
  it('reads the real photos’ sizes (PNG IHDR, JPEG SOF after EXIF/APP segments)', () => {
    expect(readImageHeader(readFileSync(join(FACES, 'astronaut.png')))).toEqual({
      format: 'png',
      width: 512,
      height: 512,
    });
    expect(readImageHeader(readFileSync(join(FACES, 'grace_hopper.jpg')))).toEqual({
      format: 'jpeg',
      width: 512,
      height: 600,
    });
  });
  it('reads hand-built headers, bombs included, without any pixel data', () => {
    expect(readImageHeader(pngHeader(20000, 20000))).toEqual({ format: 'png', width: 20000, height: 20000 });
    expect(readImageHeader(jpegHeader(12000, 9000))).toEqual({ format: 'jpeg', width: 12000, height: 9000 });
    const gif = Uint8Array.from([...Buffer.from('GIF89a'), 0x20, 0x4e, 0x10, 0x27]);
    expect(readImageHeader(gif)).toEqual({ format: 'gif', width: 20000, height: 10000 });
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0);
    webp.write('WEBPVP8X', 8);
    webp.writeUIntLE(19999, 24, 3);
    webp.writeUIntLE(9999, 27, 3);
    expect(readImageHeader(webp)).toEqual({ format: 'webp', width: 20000, height: 10000 });
    const bmp = Buffer.alloc(26);
    bmp.write('BM', 0);
    bmp.writeInt32LE(300, 18);
    bmp.writeInt32LE(-200, 22);
    expect(readImageHeader(bmp)).toEqual({ format: 'bmp', width: 300, height: 200 });
  });
  it('truncated or hostile headers give no size (never a read past the end)', () => {
    expect(readImageHeader(pngHeader(10, 10).subarray(0, 20))).toEqual({ format: 'png' });
    expect(readImageHeader(jpegHeader(10, 10).subarray(0, 25))).toEqual({ format: 'jpeg' });
    // a segment length of 0 / 1 (would loop or go backwards) and one pointing far past the end
    expect(readImageHeader(Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, 0, 0, 0xff, 0xc0]))).toEqual({ format: 'jpeg' });
    expect(readImageHeader(Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, 0, 1, 0xff, 0xc0]))).toEqual({ format: 'jpeg' });
    expect(
      readImageHeader(Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff, 0xff, 0xc0, 0, 11, 8, 0, 10, 0, 10])),
    ).toEqual({ format: 'jpeg' });
    // scan data before any frame header
    expect(
      readImageHeader(Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xc0, 0, 11, 8, 0, 10, 0, 10])),
    ).toEqual({ format: 'jpeg' });
    expect(readImageHeader(Buffer.from('hello world'))).toBeUndefined();
    expect(readImageHeader(new Uint8Array(0))).toBeUndefined();
  });
});

describe('checkImageSize (the one limit of the CLI and the app)', () => {
  it('accepts up to MAX_MEGAPIXELS, refuses above it and empty sizes, with the numbers in the message', () => {
    expect(() => checkImageSize(12000, 12000)).not.toThrow(); // 144 MP, the real photo
    expect(() => checkImageSize(14000, 14000)).not.toThrow(); // 196 MP
    expect(() => checkImageSize(20000, 20000)).toThrow(
      `image is 20000×20000 (400 megapixels), larger than the ${MAX_MEGAPIXELS} megapixels`,
    );
    expect(() => checkImageSize(0, 100)).toThrow('the image declares no pixels (0×100)');
    expect(() => checkImageSize(100, 0)).toThrow(/no pixels/);
  });
});
