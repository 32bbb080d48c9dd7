/**
 * Dropped and picked images (WASM EP, the default on browsers without WebGPU): a face photo gives one face that
 * agrees with the Node pipeline; a text file gives an error on its own card while the other images still analyse;
 * a 12000×12000 photo is downscaled for analysis, reported in source pixels, and the tab survives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dropFiles, hookState, launch, openPage, waitForEngine } from './support/browser.ts';
import { makeHugeJpeg, tempDir } from './support/fixtures.ts';
import { boxDisagreement, analyzeWithCli } from './support/node-reference.ts';
import { FACES } from './support/paths.ts';
import { startPreview, type PreviewServer } from './support/preview.ts';

let server: PreviewServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];

const photo = (name: string, type: string) => ({ name, type, base64: readFileSync(join(FACES, name)).toString('base64') });

beforeAll(async () => {
  server = await startPreview();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});
beforeEach(async () => {
  await context?.close();
  context = await browser.newContext();
  ({ page, problems } = await openPage(context, `${server.url}?ep=wasm`));
  const engine = await waitForEngine(page);
  expect(engine.error).toBeNull();
});

describe('dropped images', () => {
  it('finds the one face in a dropped photo, where the analyze CLI finds it', async () => {
    await dropFiles(page, [photo('astronaut.png', 'image/png')]);
    await page.waitForSelector('[data-testid="gallery-item"][data-state="done"]', { timeout: 60_000 });
    await expect(page.getAttribute('[data-testid="gallery-face-count"]', 'data-count')).resolves.toBe('1');
    await expect(page.getAttribute('[data-testid="gallery-overlay"]', 'data-faces')).resolves.toBe('1');

    const [item] = (await hookState(page)).gallery;
    const reference = await analyzeWithCli(join(FACES, 'astronaut.png'), 'auto');
    expect(reference.faces).toHaveLength(1);
    expect([item.analysis!.width, item.analysis!.height]).toEqual([512, 512]);
    expect(item.analysis!.detectorModel).toBe('front');
    expect(boxDisagreement(item.analysis!.faces[0].box, reference.faces[0].box)).toBeLessThanOrEqual(0.02);

    // The exported JSON is the CLI's schema.
    const download = page.waitForEvent('download');
    await page.click('[data-testid="gallery-export"]');
    const file = await (await download).path();
    const json = JSON.parse(readFileSync(file, 'utf8'));
    expect(json.images[0]).toMatchObject({ file: 'astronaut.png', width: 512, height: 512 });
    expect(json.images[0].faces[0].keypoints).toHaveLength(6);
    expect(problems).toEqual([]);
  });

  it('reports a dropped text file on its own card and still analyses the photo dropped with it', async () => {
    await dropFiles(page, [
      { name: 'notes.txt', type: 'text/plain', base64: Buffer.from('this is not an image').toString('base64') },
      photo('grace_hopper.jpg', 'image/jpeg'),
    ]);
    await page.waitForSelector('[data-testid="gallery-error"]', { timeout: 60_000 });
    await expect(page.textContent('[data-testid="gallery-item"][data-name="notes.txt"] [data-testid="gallery-error"]'))
      .resolves.toMatch(/"notes\.txt" is not an image/);
    await page.waitForSelector('[data-testid="gallery-item"][data-name="grace_hopper.jpg"][data-state="done"]', { timeout: 60_000 });
    await expect(page.getAttribute('[data-testid="gallery-item"][data-name="grace_hopper.jpg"] [data-testid="gallery-face-count"]', 'data-count')).resolves.toBe('1');

    // The page still works afterwards: a new drop is analysed.
    await dropFiles(page, [photo('astronaut.png', 'image/png')]);
    await page.waitForSelector('[data-testid="gallery-item"][data-name="astronaut.png"][data-state="done"]', { timeout: 60_000 });
    expect(problems).toEqual([]);
  });

  it('reports "no face found" for an image without a face', async () => {
    // A flat grey 64×64 PNG, made in the page: nothing face-like in it.
    const base64 = await page.evaluate(async () => {
      const c = new OffscreenCanvas(64, 64);
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#808080';
      ctx.fillRect(0, 0, 64, 64);
      const bytes = new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
      return btoa(String.fromCharCode(...bytes));
    });
    await dropFiles(page, [{ name: 'grey.png', type: 'image/png', base64 }]);
    await page.waitForSelector('[data-testid="gallery-item"][data-state="done"]', { timeout: 60_000 });
    await expect(page.getAttribute('[data-testid="gallery-face-count"]', 'data-count')).resolves.toBe('0');
    await expect(page.textContent('[data-testid="gallery-face-count"]')).resolves.toBe('no face found');
  });

  it('refuses a PNG bomb from its header, and finds no face in a fully transparent PNG, exactly like the CLI', async () => {
    // ~1 KB PNG declaring 20000×20000 (issue 9, item 10): refused before the browser decodes it, with the CLI's words.
    const chunk = (type: string, data: Buffer) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(data.length, 0);
      head.write(type, 4, 'ascii');
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])) >>> 0, 0);
      return Buffer.concat([head, data, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(20000, 0);
    ihdr.writeUInt32BE(20000, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const bomb = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(Buffer.alloc(1 << 16))), chunk('IEND', Buffer.alloc(0))]);
    // The astronaut with alpha 0 everywhere (item 18): its RGB still holds the face.
    const png = PNG.sync.read(readFileSync(join(FACES, 'astronaut.png')));
    for (let i = 3; i < png.data.length; i += 4) png.data[i] = 0;
    const transparent = PNG.sync.write(png);
    await dropFiles(page, [
      { name: 'bomb.png', type: 'image/png', base64: bomb.toString('base64') },
      { name: 'transparent.png', type: 'image/png', base64: transparent.toString('base64') },
    ]);
    await page.waitForSelector('[data-testid="gallery-item"][data-name="bomb.png"][data-state="error"]', { timeout: 60_000 });
    await expect(page.textContent('[data-testid="gallery-item"][data-name="bomb.png"] [data-testid="gallery-error"]'))
      .resolves.toContain('"bomb.png": image is 20000×20000 (400 megapixels), larger than the 200 megapixels Faceptor Web decodes');
    await page.waitForSelector('[data-testid="gallery-item"][data-name="transparent.png"][data-state="done"]', { timeout: 60_000 });
    const appCount = await page.getAttribute('[data-testid="gallery-item"][data-name="transparent.png"] [data-testid="gallery-face-count"]', 'data-count');
    const tmp = tempDir('faceptor-alpha-');
    try {
      const file = join(tmp.dir, 'transparent.png');
      writeFileSync(file, transparent);
      const cli = await analyzeWithCli(file, 'auto');
      expect(appCount).toBe('0');
      expect(cli.faces).toHaveLength(0); // the CLI found a face here before the shared alpha rule
    } finally {
      tmp.remove();
    }
    expect(problems).toEqual([]);
  });

  it('downscales a 12000×12000 photo for analysis, reports source pixels, and keeps the tab alive', async () => {
    const tmp = tempDir('faceptor-huge-');
    try {
      const huge = makeHugeJpeg(join(FACES, 'astronaut.png'), tmp.dir);
      await page.setInputFiles('[data-testid="file-input"]', huge);
      await page.waitForSelector('[data-testid="gallery-item"][data-state="done"], [data-testid="gallery-item"][data-state="error"]', { timeout: 180_000 });
      const [item] = (await hookState(page)).gallery;
      expect(item.error).toBeNull();
      expect([item.analysis!.width, item.analysis!.height]).toEqual([12000, 12000]);
      expect(item.analysis!.scale).toBeCloseTo(4096 / 12000, 6);
      await expect(page.textContent('[data-testid="gallery-size"]')).resolves.toMatch(/12000×12000 — analysed downscaled/);
      // The face is where it is in the 512 px original, scaled ×(12000/512): compare with the Node pipeline there.
      const reference = await analyzeWithCli(join(FACES, 'astronaut.png'), 'auto');
      const k = 12000 / 512;
      const expected = { x: reference.faces[0].box.x * k, y: reference.faces[0].box.y * k, width: reference.faces[0].box.width * k, height: reference.faces[0].box.height * k };
      expect(item.analysis!.faces).toHaveLength(1);
      expect(boxDisagreement(item.analysis!.faces[0].box, expected)).toBeLessThanOrEqual(0.05);
      expect(problems).toEqual([]);
    } finally {
      tmp.remove();
    }
  });
});
