/**
 * Bad situations each get a clear message and lose nothing already shown:
 * camera permission denied, no camera, missing or corrupt detector model (message names the file and
 * `npm run setup:models`), and no usable WebGPU (falls back to WASM and says why).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFiles, hookState, launch, openPage, waitForEngine } from './support/browser.ts';
import { FACES } from './support/paths.ts';
import { startPreview, type PreviewServer } from './support/preview.ts';
import { chromium } from 'playwright-core';
import { CHROMIUM } from './support/paths.ts';
import { OFFICIAL_CHECKPOINT_URL } from '../src/core/faceptor/tasks.ts';

let server: PreviewServer;
let browser: Browser;
const FRONT = '**/models/blazeface/face_detection_front_128.onnx';

beforeAll(async () => {
  server = await startPreview();
  browser = await launch(); // no --enable-unsafe-webgpu: headless Chromium then has no WebGPU adapter
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('detector model problems', () => {
  it('names the missing model file and how to restore it, and the app stays usable', async () => {
    const context = await browser.newContext();
    await context.route(FRONT, (route) => route.fulfill({ status: 404, body: 'Not found' }));
    const { page, problems } = await openPage(context, `${server.url}?ep=wasm`);
    const engine = await waitForEngine(page);
    expect(engine.error).toMatch(/models\/blazeface\/face_detection_front_128\.onnx/);
    const shown = await page.textContent('[data-testid="engine-error"]');
    expect(shown).toContain('face_detection_front_128.onnx');
    expect(shown).toContain('npm run setup:models');
    // the code crossed the worker boundary with the error: the UI can branch on it, not on the words
    await expect(page.getAttribute('[data-testid="engine-error"]', 'data-code')).resolves.toBe('detector-model');
    // A drop now fails on its card with the same explanation, and the page keeps working (no crash, no page error).
    await dropFiles(page, [
      {
        name: 'astronaut.png',
        type: 'image/png',
        base64: readFileSync(join(FACES, 'astronaut.png')).toString('base64'),
      },
    ]);
    await page.waitForSelector('[data-testid="gallery-item"][data-state="error"]', { timeout: 30_000 });
    await expect(page.textContent('[data-testid="gallery-error"]')).resolves.toMatch(
      /face_detection_front_128\.onnx.*npm run setup:models/,
    );
    expect(problems).toEqual([]);
    await context.close();
  });

  it('names a corrupt model file (bytes ORT cannot parse)', async () => {
    const context = await browser.newContext();
    const real = readFileSync(new URL('../public/models/blazeface/face_detection_front_128.onnx', import.meta.url));
    const corrupt = Buffer.from(real.subarray(0, 20_000)); // truncated: starts like ONNX, then ends mid-graph
    await context.route(FRONT, (route) =>
      route.fulfill({ status: 200, body: corrupt, contentType: 'application/octet-stream' }),
    );
    const { page } = await openPage(context, `${server.url}?ep=wasm`);
    const engine = await waitForEngine(page);
    expect(engine.phase).toBe('error');
    expect(engine.error).toMatch(/face_detection_front_128\.onnx could not be loaded/);
    expect(engine.error).toContain('npm run setup:models');
    await context.close();
  });

  it('keeps working with only the 128 model when the 256 model is missing, and says so', async () => {
    const context = await browser.newContext();
    await context.route('**/models/blazeface/face_detection_back_256.onnx', (route) =>
      route.fulfill({ status: 404, body: '' }),
    );
    const { page } = await openPage(context, `${server.url}?ep=wasm`);
    const engine = await waitForEngine(page);
    expect(engine.phase).toBe('ready');
    await expect(page.textContent('[data-testid="engine-warning"]')).resolves.toMatch(
      /face_detection_back_256\.onnx is missing.*setup:models/,
    );
    await context.close();
  });
});

describe('no WebGPU', () => {
  it('falls back to WASM and tells why', async () => {
    const context = await browser.newContext();
    const { page } = await openPage(context, `${server.url}?ep=auto`);
    const engine = await waitForEngine(page);
    expect(engine.status?.provider).toBe('wasm');
    await expect(page.textContent('[data-testid="engine-provider"]')).resolves.toBe('wasm');
    await expect(page.textContent('[data-testid="engine-fallback"]')).resolves.toMatch(
      /WASM because (WebGPU failed|this browser has no WebGPU)/,
    );

    // The setting forces an EP at run time: choosing WASM re-initialises and says why it is WASM now.
    await page.selectOption('[data-testid="setting-provider"]', 'wasm');
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="engine-fallback"]')?.textContent?.includes('chosen in the settings'),
    );
    await expect(page.textContent('[data-testid="engine-provider"]')).resolves.toBe('wasm');
    await context.close();
  });
});

describe('WebGPU on a software adapter (headless SwiftShader)', () => {
  it('auto prefers WASM and says why; switching from WebGPU to WASM is no "device lost" failure', async () => {
    const gpu = await launch({ webgpu: true });
    try {
      const auto = await openPage(await gpu.newContext(), `${server.url}?ep=auto`);
      const engine = await waitForEngine(auto.page);
      expect(engine.status?.provider).toBe('wasm');
      await expect(auto.page.textContent('[data-testid="engine-fallback"]')).resolves.toMatch(
        /WASM because the only WebGPU adapter here is a software fallback/,
      );

      // forced WebGPU runs on the software adapter; choosing WASM then is the user's switch, not an error
      const { page, problems } = await openPage(await gpu.newContext(), `${server.url}?ep=webgpu`);
      expect((await waitForEngine(page)).status?.provider).toBe('webgpu');
      await page.selectOption('[data-testid="setting-provider"]', 'wasm');
      await page.waitForFunction(() =>
        document.querySelector('[data-testid="engine-fallback"]')?.textContent?.includes('chosen in the settings'),
      );
      await page.waitForTimeout(1500); // a device-lost notice arrives asynchronously after the old backend is released
      const after = await hookState(page);
      expect(after.engine.notice ?? '').not.toMatch(/lost/i);
      expect(after.engine.status?.fallbackReason).toMatch(/chosen in the settings/);
      await expect(page.$('[data-testid="engine-notice"]')).resolves.toBeNull();
      expect(problems).toEqual([]);
    } finally {
      await gpu.close();
    }
  });
});

describe('camera problems', () => {
  it('explains a denied camera permission, and the rest of the page still works', async () => {
    const denying = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--no-first-run',
        '--use-fake-device-for-media-stream',
        '--deny-permission-prompts',
      ],
    });
    try {
      const { page, problems } = await openPage(await denying.newContext(), `${server.url}?ep=wasm`);
      await waitForEngine(page);
      await page.click('[data-testid="camera-start"]');
      await page.waitForSelector('[data-testid="camera-error"]', { timeout: 30_000 });
      await expect(page.textContent('[data-testid="camera-error"]')).resolves.toMatch(/permission was denied/i);
      await expect(page.getAttribute('[data-testid="camera-state"]', 'data-state')).resolves.toBe('error');
      // Images still analyse.
      await dropFiles(page, [
        {
          name: 'astronaut.png',
          type: 'image/png',
          base64: readFileSync(join(FACES, 'astronaut.png')).toString('base64'),
        },
      ]);
      await page.waitForSelector('[data-testid="gallery-item"][data-state="done"]', { timeout: 60_000 });
      expect((await hookState(page)).gallery[0].analysis?.faces).toHaveLength(1);
      expect(problems).toEqual([]);
    } finally {
      await denying.close();
    }
  });

  it('explains that no camera was found', async () => {
    const { page } = await openPage(await browser.newContext(), `${server.url}?ep=wasm`);
    // Headless Chromium without fake-device flags may or may not see a camera; make "no camera" certain.
    await page.evaluate(() => {
      navigator.mediaDevices.getUserMedia = async () => {
        throw new DOMException('Requested device not found', 'NotFoundError');
      };
    });
    await page.click('[data-testid="camera-start"]');
    await page.waitForSelector('[data-testid="camera-error"]', { timeout: 30_000 });
    await expect(page.textContent('[data-testid="camera-error"]')).resolves.toMatch(/No camera was found/);
  });
});

describe('Faceptor model status', () => {
  it('says plainly when no Faceptor model is installed, and flags an untrained package', async () => {
    const context = await browser.newContext();
    await context.route('**/models/index.json', (route) => route.fulfill({ status: 404, body: 'Not found' }));
    const { page } = await openPage(context, `${server.url}?ep=wasm`);
    await page.waitForSelector('[data-testid="model-notice"][data-state="none"]', { timeout: 30_000 });
    await expect(page.textContent('[data-testid="model-notice"]')).resolves.toContain('No Faceptor model installed');
    // how to add one: the export command, dropping a folder, and the official checkpoints
    await expect(page.textContent('[data-testid="model-howto"]')).resolves.toMatch(
      /npm run export -- <checkpoint\.pth\.tar>.*drop an exported package folder/s,
    );
    await expect(page.getAttribute('[data-testid="model-howto"] a', 'href')).resolves.toBe(OFFICIAL_CHECKPOINT_URL);
    // faces are still detected
    await waitForEngine(page);
    await dropFiles(page, [
      {
        name: 'astronaut.png',
        type: 'image/png',
        base64: readFileSync(join(FACES, 'astronaut.png')).toString('base64'),
      },
    ]);
    await page.waitForSelector('[data-testid="gallery-face-count"][data-count="1"]', { timeout: 120_000 });
    await expect(page.$('[data-testid="image-faces"]')).resolves.toBeNull(); // no task panels without a model
    await context.close();

    const listed = await browser.newContext();
    await listed.route('**/models/index.json', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          format: 'faceptor-web-model-index',
          packages: [
            {
              name: 'fixture',
              label: 'golden fixture — random weights',
              variant: 'full',
              precision: 'fp32',
              untrained: true,
              manifest: 'fixture/faceptor.json',
            },
          ],
        }),
      }),
    );
    const second = await openPage(listed, `${server.url}?ep=wasm`);
    await second.page.waitForSelector('[data-testid="untrained-banner"]', { timeout: 30_000 });
    await expect(second.page.textContent('[data-testid="untrained-banner"]')).resolves.toContain(
      'Untrained model — outputs are meaningless',
    );
    await listed.close();
  });
});
