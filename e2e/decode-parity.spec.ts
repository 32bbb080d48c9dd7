/**
 * The CLI decodes image files as the app does (issue 15 item 5): tools/node-host/image-file.ts (libvips over
 * libjpeg-turbo, libpng) against Chromium's createImageBitmap(file, { imageOrientation: 'from-image' }) — what
 * workers/perception-engine.ts analyses — on the shared photos and JPEGs made here the way cameras and the bench
 * make them (4:2:0 and 4:4:4 chroma, progressive, an EXIF rotation, PNG with alpha). Measured: identical RGBA,
 * where the former pure-JS JPEG decoder (jpeg-js) differed by up to 46 levels on grace_hopper.jpg.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch } from './support/browser.ts';
import { tempDir } from './support/fixtures.ts';
import { FACES } from './support/paths.ts';
import { loadImageFile } from '../tools/node-host/image-file.ts';
import { compositeOnBlack } from '../src/core/image/alpha.ts';

let browser: Browser;
let page: Page;
const tmp = tempDir('faceptor-decode-parity-');

beforeAll(async () => {
  browser = await launch();
  page = await browser.newPage();
  await page.setContent('<!doctype html><title>decode</title>');
});
afterAll(async () => {
  await browser?.close();
  tmp.remove();
});

/** Chromium's pixels for a file, as the app's worker gets them (EXIF rotation applied, drawn on a 2D canvas). */
async function chromiumRgba(file: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const r = await page.evaluate(async (b64: string) => {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bytes.length; i++) bytes[i] = bin.charCodeAt(i);
    const bitmap = await createImageBitmap(new Blob([bytes]), { imageOrientation: 'from-image' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const d = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let s = '';
    for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode(...d.subarray(i, i + 0x8000));
    return { width: bitmap.width, height: bitmap.height, b64: btoa(s) };
  }, readFileSync(file).toString('base64'));
  const data = new Uint8Array(Buffer.from(r.b64, 'base64'));
  compositeOnBlack(data); // the app's one alpha rule (workers/perception-engine.ts), as the CLI applies it
  return { width: r.width, height: r.height, data };
}

/** Largest difference of one colour channel (alpha is opaque on both sides: the shared rule composites on black). */
function maxChannelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) if ((i & 3) !== 3) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('the CLI sees the pixels the app sees', () => {
  it('shared photos and generated JPEG/PNG variants decode to the same RGBA as Chromium', async () => {
    const grace = join(FACES, 'grace_hopper.jpg');
    const made = async (name: string, pipeline: Sharp) => {
      const file = join(tmp.dir, name);
      await pipeline.toFile(file);
      return file;
    };
    const files = [
      grace,
      join(FACES, 'astronaut.png'),
      join(FACES, 'camera.png'),
      // the bench's kind of photo: resized, mirrored, JPEG q90 (4:2:0)
      await made('bench-like.jpg', sharp(grace).resize({ width: 1000 }).flop().jpeg({ quality: 90 })),
      await made(
        'chroma-444.jpg',
        sharp(grace).resize({ width: 700 }).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }),
      ),
      await made('progressive.jpg', sharp(grace).resize({ width: 640 }).jpeg({ quality: 80, progressive: true })),
      // a phone photo stored sideways with EXIF Orientation 6
      await made(
        'rotated.jpg',
        sharp(grace).resize({ width: 480 }).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }),
      ),
      // transparency: the shared rule puts transparent pixels on black in both hosts
      await made('alpha.png', sharp(join(FACES, 'astronaut.png')).resize({ width: 300 }).ensureAlpha(0.5).png()),
    ];
    const report: Record<string, number> = {};
    for (const file of files) {
      const [app, cli] = [await chromiumRgba(file), await loadImageFile(file)];
      const name = file.split('/').pop()!;
      expect([cli.width, cli.height], name).toEqual([app.width, app.height]);
      report[name] = maxChannelDiff(cli.data, app.data);
    }
    console.log('CLI vs Chromium decode, largest channel difference per file:', JSON.stringify(report));
    expect(report['rotated.jpg'] !== undefined && files.length).toBe(8);
    for (const [name, diff] of Object.entries(report)) expect(diff, name).toBe(0);
  });
});
