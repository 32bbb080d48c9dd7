/**
 * Live camera on WebGPU (SwiftShader) and on WASM: Chromium's fake camera plays a one-frame y4m made from a shared
 * face photo; the overlay must show exactly one face whose box agrees with the `analyze` CLI (onnxruntime-node, same
 * pipeline code) on the same decoded frame within 2 % of the box size.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hookState, launch, openPage, waitForEngine } from './support/browser.ts';
import { makeFakeCamera, tempDir } from './support/fixtures.ts';
import { boxDisagreement, analyzeWithCli } from './support/node-reference.ts';
import { FACES } from './support/paths.ts';
import { startPreview, type PreviewServer } from './support/preview.ts';

let server: PreviewServer;
let tmp: ReturnType<typeof tempDir>;
let camera: { y4m: string; png: string };
let reference: Awaited<ReturnType<typeof analyzeWithCli>>;

beforeAll(async () => {
  tmp = tempDir('faceptor-cam-');
  camera = makeFakeCamera(join(FACES, 'grace_hopper.jpg'), tmp.dir);
  reference = await analyzeWithCli(camera.png, 'front');
  server = await startPreview();
});
afterAll(async () => {
  await server?.stop();
  tmp?.remove();
});

for (const provider of ['webgpu', 'wasm'] as const) {
  describe(`live camera on ${provider}`, () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launch({ webgpu: provider === 'webgpu', fakeCameraY4m: camera.y4m });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('shows one face that agrees with the analyze CLI', async () => {
      expect(reference.faces).toHaveLength(1); // the frame really has one face, per the Node host

      const context = await browser.newContext();
      const { page, problems } = await openPage(context, `${server.url}?ep=${provider}`);
      const engine = await waitForEngine(page);
      expect(engine.error).toBeNull();
      expect(engine.status?.provider).toBe(provider);
      await expect(page.textContent('[data-testid="engine-provider"]')).resolves.toBe(provider);

      await page.click('[data-testid="camera-start"]');
      await page.waitForSelector('[data-testid="live-face-count"][data-count="1"]', { timeout: 120_000 });
      await page.waitForSelector('[data-testid="live-overlay"][data-faces="1"]');

      const { live } = await hookState(page);
      expect(live.camera).toBe('on');
      expect(live.latest?.provider).toBe(provider);
      expect([live.latest?.width, live.latest?.height]).toEqual([reference.width, reference.height]);
      const [face] = live.latest!.faces;
      const disagreement = boxDisagreement(face.box, reference.faces[0].box);
      expect(
        disagreement,
        `box ${JSON.stringify(face.box)} vs node ${JSON.stringify(reference.faces[0].box)}`,
      ).toBeLessThanOrEqual(0.02);
      // Timings are shown for every stage.
      await expect(page.textContent('[data-testid="live-timings"]')).resolves.toMatch(
        /read image .* find faces .* total/,
      );
      // the rate is measured over frame intervals (never "0.0" on a slow device), the latency is shown, no "skipped"
      await page.waitForFunction(
        () => Number(document.querySelector('[data-testid="live-fps"]')?.getAttribute('data-fps')) > 0,
        undefined,
        { timeout: 60_000 },
      );
      await expect(page.textContent('[data-testid="live-fps"]')).resolves.toMatch(/^[\d.]+ analysed frames\/s$/);
      expect(Number(await page.getAttribute('[data-testid="live-latency"]', 'data-ms'))).toBeGreaterThan(0);
      await expect(page.textContent('.live .stats')).resolves.not.toMatch(/skipped/);

      // a frame that cannot be grabbed shows an error; Stop clears it (a stopped camera has nothing to report)
      await page.evaluate(() => {
        (window as unknown as { VideoFrame: unknown }).VideoFrame = function VideoFrame() {
          throw new Error('grab failed (test)');
        };
      });
      await page.waitForSelector('[data-testid="camera-error"]', { timeout: 30_000 });
      await expect(page.textContent('[data-testid="camera-error"]')).resolves.toMatch(
        /A frame could not be analysed: grab failed \(test\)/,
      );
      await page.click('[data-testid="camera-stop"]');
      await page.waitForSelector('[data-testid="camera-state"][data-state="off"]');
      await expect(page.$('[data-testid="camera-error"]')).resolves.toBeNull();
      expect(problems).toEqual([]);
      await context.close();
    });
  });
}
