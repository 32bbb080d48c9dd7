import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { decodeImageBytes, loadAnalysisImage, loadImageFile, ImageFileError } from './image-file.ts';
import { makePng, makePngBomb } from './testing/png-builder.ts';

const pixels = (img: { data: ArrayLike<number> }) => Array.from(img.data);

describe('decodeImageBytes (PNG colour types → 8-bit RGBA)', () => {
  it('grey', () => {
    const img = decodeImageBytes(makePng(2, 1, 0, 8, [[0, 200]]));
    expect(pixels(img)).toEqual([0, 0, 0, 255, 200, 200, 200, 255]);
  });
  it('grey + alpha, composited on black like the app (src/core/image/alpha.ts)', () => {
    const img = decodeImageBytes(makePng(2, 1, 4, 8, [[10, 20, 30, 40]]));
    // 10·20/255 = 0.78 → 1; 30·40/255 = 4.7 → 5; opaque afterwards
    expect(pixels(img)).toEqual([1, 1, 1, 255, 5, 5, 5, 255]);
  });
  it('palette', () => {
    const img = decodeImageBytes(makePng(3, 1, 3, 8, [[2, 0, 1]], [255, 0, 0, 0, 255, 0, 0, 0, 255]));
    expect(pixels(img)).toEqual([0, 0, 255, 255, 255, 0, 0, 255, 0, 255, 0, 255]);
  });
  it('16-bit RGB scales to 8 bits', () => {
    // 0xFFFF → 255, 0x0000 → 0, 0x8080 → 128
    const img = decodeImageBytes(makePng(1, 1, 2, 16, [[0xff, 0xff, 0x00, 0x00, 0x80, 0x80]]));
    expect(pixels(img)).toEqual([255, 0, 128, 255]);
  });
  it('the same colour types through a file (loadImageFile: libvips) give the same RGBA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faceptor-png-types-'));
    const cases: [Uint8Array, number[]][] = [
      [makePng(2, 1, 0, 8, [[0, 200]]), [0, 0, 0, 255, 200, 200, 200, 255]],
      [makePng(2, 1, 4, 8, [[10, 20, 30, 40]]), [1, 1, 1, 255, 5, 5, 5, 255]],
      [
        makePng(3, 1, 3, 8, [[2, 0, 1]], [255, 0, 0, 0, 255, 0, 0, 0, 255]),
        [0, 0, 255, 255, 255, 0, 0, 255, 0, 255, 0, 255],
      ],
      [makePng(1, 1, 2, 16, [[0xff, 0xff, 0x00, 0x00, 0x80, 0x80]]), [255, 0, 128, 255]],
    ];
    for (const [i, [png, want]] of cases.entries()) {
      const file = join(dir, `type-${i}.png`);
      writeFileSync(file, png);
      expect(pixels(await loadImageFile(file)), file).toEqual(want);
      expect(pixels(decodeImageBytes(png)), file).toEqual(want);
    }
  });
  it('the shared grey photo decodes to R = G = B', async () => {
    const img = await loadImageFile(join(import.meta.dirname, '../../../shared/faces/camera.png'));
    expect([img.width, img.height]).toEqual([512, 512]);
    for (let i = 0; i < img.data.length; i += 4 * 997) expect(img.data[i]).toBe(img.data[i + 2]);
  });
  it('JPEG decodes to the stated size', async () => {
    const img = await loadImageFile(join(import.meta.dirname, '../../../shared/faces/grace_hopper.jpg'));
    expect([img.width, img.height, img.data.length]).toEqual([512, 600, 512 * 600 * 4]);
  });
});

describe('bad image files get a clear error naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faceptor-img-'));
  const astronaut = readFileSync(join(import.meta.dirname, '../../../shared/faces/astronaut.png'));

  it('corrupt PNG (damaged compressed data)', async () => {
    const bad = Buffer.from(astronaut);
    for (let i = 200; i < 4000; i++) bad[i] ^= 0x5a;
    const file = join(dir, 'corrupt.png');
    writeFileSync(file, bad);
    await expect(loadImageFile(file)).rejects.toThrow(ImageFileError);
    await expect(loadImageFile(file)).rejects.toThrow(/corrupt\.png: corrupt or unsupported PNG/);
  });
  it('truncated PNG', async () => {
    const file = join(dir, 'truncated.png');
    writeFileSync(file, astronaut.subarray(0, 5000));
    await expect(loadImageFile(file)).rejects.toThrow(/truncated\.png: corrupt or unsupported PNG/);
  });
  it('corrupt JPEG', async () => {
    const jpg = readFileSync(join(import.meta.dirname, '../../../shared/faces/grace_hopper.jpg'));
    const file = join(dir, 'corrupt.jpg');
    writeFileSync(file, Buffer.concat([jpg.subarray(0, 4), Buffer.alloc(64, 0x11)]));
    await expect(loadImageFile(file)).rejects.toThrow(/corrupt\.jpg: corrupt or unsupported JPEG/);
  });
  it('text file and missing file', async () => {
    const file = join(dir, 'notes.png');
    writeFileSync(file, 'not an image');
    await expect(loadImageFile(file)).rejects.toThrow(/notes\.png: not a PNG or JPEG image/);
    await expect(loadImageFile(join(dir, 'missing.jpg'))).rejects.toThrow(/missing\.jpg: file not found/);
  });
});

describe('JPEG EXIF orientation (as browsers show it)', () => {
  it('a 32×16 JPEG stored sideways with Orientation 6 decodes upright: 16×32, its left half on top', async () => {
    const w = 32,
      h = 16;
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) rgba.set(x < w / 2 ? [220, 20, 20, 255] : [20, 20, 220, 255], (y * w + x) * 4);
    const plain = new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, 95).data);
    // APP1 "Exif", big-endian TIFF, IFD0 with one entry: Orientation (0x0112, SHORT, 1) = 6 (rotate 90° clockwise)
    const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0];
    const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
    const app1 = [0xff, 0xe1, 0, payload.length + 2, ...payload];
    const rotated = Uint8Array.from([...plain.subarray(0, 2), ...app1, ...plain.subarray(2)]);

    const dir = mkdtempSync(join(tmpdir(), 'faceptor-exif-'));
    writeFileSync(join(dir, 'rotated.jpg'), rotated);
    const fromFile = await loadImageFile(join(dir, 'rotated.jpg')); // libvips, as the CLI decodes files
    expect([fromFile.width, fromFile.height]).toEqual([16, 32]);
    const filePx = (x: number, y: number) => [...fromFile.data.subarray((y * 16 + x) * 4, (y * 16 + x) * 4 + 3)];
    expect(filePx(8, 4)[0]).toBeGreaterThan(150); // red on top
    expect(filePx(8, 27)[2]).toBeGreaterThan(150); // blue below

    const asStored = decodeImageBytes(plain);
    expect([asStored.width, asStored.height]).toEqual([32, 16]);
    const upright = decodeImageBytes(rotated);
    expect([upright.width, upright.height]).toEqual([16, 32]);
    const px = (x: number, y: number) => [...upright.data.subarray((y * 16 + x) * 4, (y * 16 + x) * 4 + 3)];
    expect(px(8, 4)[0]).toBeGreaterThan(150); // red on top
    expect(px(8, 4)[2]).toBeLessThan(100);
    expect(px(8, 27)[2]).toBeGreaterThan(150); // blue below
    expect(px(8, 27)[0]).toBeLessThan(100);
  });
});

describe('hostile image inputs are refused before decoding (issue 9, items 4 and 10)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faceptor-hostile-img-'));

  it('/dev/zero (or a symlink to it) and a FIFO as an image: refused at once, nothing read', async () => {
    const link = join(dir, 'zero.jpg');
    symlinkSync('/dev/zero', link);
    await expect(loadImageFile('/dev/zero')).rejects.toThrow('/dev/zero: is a device, not a regular file: refused');
    await expect(loadAnalysisImage(link)).rejects.toThrow(`${link}: is a device, not a regular file: refused`);
    const fifo = join(dir, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    await expect(loadAnalysisImage(fifo)).rejects.toThrow(
      `${fifo}: is a FIFO (named pipe), not a regular file: refused`,
    );
  });

  it('a 20000×20000 PNG of ~1 KB is refused from its header: no pixel buffer, well under a second', async () => {
    const file = join(dir, 'bomb.png');
    writeFileSync(file, makePngBomb(20000, 20000));
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    for (const load of [loadImageFile, loadAnalysisImage]) {
      await expect(load(file)).rejects.toThrow(
        `${file}: image is 20000×20000 (400 megapixels), larger than the 200 megapixels`,
      );
    }
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200e6); // was 3.9 GB
    expect(() => decodeImageBytes(makePngBomb(0, 100), 'w0.png')).toThrow(
      'w0.png: the image declares no pixels (0×100)',
    );
  });

  it('a JPEG larger than the analysis size is decoded scaled (long side 4096), results kept in source pixels', async () => {
    const file = join(dir, 'large.jpg');
    await sharp({ create: { width: 6000, height: 3000, channels: 3, background: { r: 200, g: 40, b: 40 } } })
      .composite([
        {
          input: { create: { width: 3000, height: 3000, channels: 3, background: { r: 40, g: 40, b: 200 } } },
          left: 3000,
          top: 0,
        },
      ])
      .jpeg({ quality: 90 })
      .toFile(file);
    const { image, source } = await loadAnalysisImage(file);
    expect(source).toEqual({ width: 6000, height: 3000 });
    expect([image.width, image.height, image.data.length]).toEqual([4096, 2048, 4096 * 2048 * 4]);
    const px = (x: number) => [...image.data.subarray((1000 * 4096 + x) * 4, (1000 * 4096 + x) * 4 + 4)];
    expect(px(1000)[0]).toBeGreaterThan(150); // red left half
    expect(px(3000)[2]).toBeGreaterThan(150); // blue right half
    expect(px(3000)[3]).toBe(255);
    // full resolution through libvips too (jpeg-js would need ~8 B/px of working memory)
    const full = await loadImageFile(file);
    expect([full.width, full.height]).toEqual([6000, 3000]);
    expect(full.data[(1500 * 6000 + 1000) * 4]).toBeGreaterThan(150);
    expect(full.data[(1500 * 6000 + 5000) * 4 + 2]).toBeGreaterThan(150);
    // images that fit are decoded exactly as loadImageFile does
    const small = await loadAnalysisImage(join(import.meta.dirname, '../../../shared/faces/grace_hopper.jpg'));
    expect(small.source).toEqual({ width: 512, height: 600 });
    expect(small.image.data).toEqual(
      (await loadImageFile(join(import.meta.dirname, '../../../shared/faces/grace_hopper.jpg'))).data,
    );
  });
});
