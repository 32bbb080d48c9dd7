/**
 * Issue 15 in the browser, one page with the golden Full fixture (random weights) on WASM:
 * - a video file made here (ffmpeg: a face moving across a grey frame) analysed as a whole at 2 frames/s: a
 *   timeline per track is drawn and seeks; the JSON and CSV exports hold one entry per frame and agree with the
 *   `analyze` CLI run on the same frames (extracted by ffmpeg) within the browser-vs-Node tolerances;
 * - a live snapshot becomes a photo card; its annotated PNG (decoded with pngjs) is the photo with the overlay
 *   canvas composited on it, its label map holds the class indices of the mask, its .pts the landmarks;
 * - compare: the snapshot's face against a dropped photo's face shows their cosine similarity;
 * - a folder of small photos is analysed in the batch queue with the page's JS heap within a bound.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFiles, hookState, launch, openPage, waitForEngine } from './support/browser.ts';
import { makeFakeCamera, tempDir } from './support/fixtures.ts';
import { exportGoldenFixture, servePackages, type ExportedFixture } from './support/model-fixture.ts';
import { compareFaces } from './support/parity.ts';
import { boxDisagreement } from './support/node-reference.ts';
import { FACES, REPO_ROOT } from './support/paths.ts';
import { startPreview, type PreviewServer } from './support/preview.ts';
import { decodeRle } from '../src/pipeline/faceptor/json.ts';
import { fromPts } from '../src/core/export/pts.ts';

/** Browser vs Node CLI on the same pixels (README "Browser vs Node parity"). */
const TOLERANCE = { landmarks: 0.01, parsing: 0.02, ageYears: 0.5, expression: 0.02, attributes: 0.02, identity: 1e-3 };
const VIDEO = { seconds: 3, fps: 10, rate: 2 };

let server: PreviewServer;
let fixture: ExportedFixture;
let tmp: ReturnType<typeof tempDir>;
let browser: Browser;
let page: Page;
let problems: string[];
let video: string;

const state = (p: Page): Promise<any> => hookState(p); // eslint-disable-line @typescript-eslint/no-explicit-any
const ffmpeg = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });

/** Grey 640×480 at 10 fps, Grace Hopper's photo (320 px high) sliding right at 40 px/s; VP9 in WebM (no patents, Chromium plays it). */
function makeVideo(dir: string): string {
  const out = join(dir, 'moving-face.webm');
  ffmpeg(['-f', 'lavfi', '-i', `color=c=gray:s=640x480:d=${VIDEO.seconds}:r=${VIDEO.fps}`, '-loop', '1', '-i', join(FACES, 'grace_hopper.jpg'),
    '-filter_complex', '[1]scale=-2:320[f];[0][f]overlay=x=60+40*t:y=80:shortest=1,format=yuv420p',
    '-c:v', 'libvpx-vp9', '-b:v', '0', '-crf', '20', '-deadline', 'realtime', '-an', out]);
  return out;
}

/** The CLI on many files at once (one model load), as a user would run it. */
async function cliOn(files: string[]): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out = join(tmp.dir, `cli-${Date.now()}.json`);
  await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), join(REPO_ROOT, 'tools/cli/analyze.ts'), ...files,
    '--json', out, '--detector', 'front', '--model', fixture.dir, '--tasks', 'default'], { cwd: REPO_ROOT, timeout: 180_000 });
  return JSON.parse(readFileSync(out, 'utf8')).images;
}

async function download(click: () => Promise<void>): Promise<Buffer> {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  return readFileSync((await dl.path())!);
}

beforeAll(async () => {
  tmp = tempDir('faceptor-media-');
  fixture = await exportGoldenFixture('faceptor_full');
  const camera = makeFakeCamera(join(FACES, 'grace_hopper.jpg'), tmp.dir);
  video = makeVideo(tmp.dir);
  server = await startPreview();
  browser = await launch({ fakeCameraY4m: camera.y4m });
  const context = await browser.newContext({ acceptDownloads: true });
  await servePackages(context, [{ name: 'e2e-full', dir: fixture.dir }]);
  ({ page, problems } = await openPage(context, `${server.url}?ep=wasm`));
  expect((await waitForEngine(page)).error).toBeNull();
  await page.waitForSelector('[data-testid="model-notice"][data-state="loaded"]', { timeout: 120_000 });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await fixture?.cleanup();
  tmp?.remove();
});

describe('media: video files, snapshots, compare, batch folders', () => {
  it('plays a video with the live overlay: the camera pipeline tracks the face on the video element', async () => {
    await page.setInputFiles('[data-testid="video-input"]', video);
    await page.waitForFunction(() => (document.querySelector('[data-testid="video-player"]') as HTMLVideoElement | null)?.readyState! >= 2);
    await page.evaluate(() => { const v = document.querySelector('[data-testid="video-player"]') as HTMLVideoElement; v.loop = true; void v.play(); });
    await page.waitForFunction(() => {
      const l = (window as any).__faceptor.state().video.latest; // eslint-disable-line @typescript-eslint/no-explicit-any
      return l?.faces?.length === 1 && l.faces[0].trackId > 0 && l.faces[0].tasks.includes('age');
    }, undefined, { timeout: 120_000, polling: 200 });
    await page.waitForSelector('[data-testid="live-overlay"][data-faces="1"]');
    await page.evaluate(() => (document.querySelector('[data-testid="video-player"]') as HTMLVideoElement).pause());
  });

  it('analyses a whole video: timelines per track that seek, JSON/CSV per frame agreeing with the CLI', async () => {
    await page.selectOption('[data-testid="video-rate"]', String(VIDEO.rate));
    await page.click('[data-testid="video-analyse"]');
    await page.waitForSelector('[data-testid="video-progress"][data-state="done"]', { timeout: 120_000 });
    const s = await state(page);
    const times = s.video.frames.map((f: { timeMs: number }) => f.timeMs);
    expect(times).toEqual([0, 500, 1000, 1500, 2000, 2500]);
    // one face, one track all along, moving right
    expect(s.video.frames.every((f: { faces: unknown[] }) => f.faces.length === 1)).toBe(true);
    expect(new Set(s.video.frames.map((f: any) => f.faces[0].trackId)).size).toBe(1); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(s.video.frames.at(-1).faces[0].box.x - s.video.frames[0].faces[0].box.x).toBeGreaterThan(60);
    // timelines: one track, age / expression / attributes charts with drawn lines, the cursor seeks on click
    await page.waitForSelector('[data-testid="timeline-track"]');
    expect(await page.locator('[data-testid="timeline-track"]').count()).toBe(1);
    const kinds = await page.locator('[data-testid="timeline"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(expect.arrayContaining(['Age (years)', 'Expression', 'Attributes']));
    const paths = await page.locator('[data-testid="timeline-series"]').evaluateAll((els) => els.map((e) => e.getAttribute('d') ?? ''));
    expect(paths.every((d) => (d.match(/[ML]/g) ?? []).length === 6)).toBe(true); // 6 samples per line
    const svg = page.locator('[data-testid="timeline"] svg').first();
    const boxOf = (await svg.boundingBox())!;
    await svg.click({ position: { x: boxOf.width * 0.5, y: boxOf.height / 2 } });
    await page.waitForFunction(() => Math.abs((document.querySelector('[data-testid="video-player"]') as HTMLVideoElement).currentTime - 1.5) < 0.05);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="timeline-cursor"]')?.getAttribute('x1')) > 280);
    expect(await page.locator('[data-testid="video-overlay"]').getAttribute('data-faces')).toBe('1');
    await expect(page.isVisible('[data-testid="video-faces"] [data-testid="face-untrained"]')).resolves.toBe(true);

    const json = JSON.parse((await download(() => page.click('[data-testid="video-export-json"]'))).toString('utf8'));
    const csv = (await download(() => page.click('[data-testid="video-export-csv"]'))).toString('utf8').trim().split('\r\n');
    expect(json.model.untrained).toBe(true);
    expect(json.images.map((e: { timestampMs: number }) => e.timestampMs)).toEqual(times);
    expect(csv).toHaveLength(1 + times.length);
    const header = csv[0].split(',');
    expect(header.slice(0, 4)).toEqual(['file', 'time_s', 'frame', 'track']);

    // The right frames: the CLI on frames cut by ffmpeg at the same times finds the face in the same place (the face
    // moves 20 px between frames, 7 % of its box). Task values are compared on the pixels the browser decoded (its
    // YUV→RGB conversion is not ffmpeg's, and random-weight heads magnify a level of difference): the same frames,
    // read back from the page the way the analysis read them, through the CLI.
    const cut = times.map((t: number, i: number) => {
      const out = join(tmp.dir, `ffmpeg-frame-${i}.png`);
      ffmpeg(['-ss', (t / 1000).toFixed(3), '-i', video, '-frames:v', '1', out]);
      return out;
    });
    const decoded: string[] = await page.evaluate(async (ts: number[]) => {
      const v = document.querySelector('[data-testid="video-player"]') as HTMLVideoElement;
      const c = Object.assign(document.createElement('canvas'), { width: v.videoWidth, height: v.videoHeight });
      const out: string[] = [];
      for (const t of ts) {
        await new Promise((resolve) => { v.addEventListener('seeked', resolve, { once: true }); v.currentTime = t / 1000; });
        c.getContext('2d')!.drawImage(v, 0, 0);
        out.push(c.toDataURL('image/png').split(',')[1]);
      }
      return out;
    }, times);
    const pngs = decoded.map((b64, i) => { const f = join(tmp.dir, `browser-frame-${i}.png`); writeFileSync(f, Buffer.from(b64, 'base64')); return f; });
    const [onCut, onDecoded] = [await cliOn(cut), await cliOn(pngs)];
    const worst = { box: 0, landmarks: 0, parsing: 0, ageYears: 0, expression: 0, attributes: 0, identity: 0 };
    json.images.forEach((entry: any, i: number) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(entry.faces).toHaveLength(1);
      expect(onCut[i].faces).toHaveLength(1);
      const [a] = entry.faces;
      worst.box = Math.max(worst.box, boxDisagreement(a.box, onCut[i].faces[0].box));
      const d = compareFaces(a, onDecoded[i].faces[0]);
      expect(d.missing).toEqual([]);
      for (const k of Object.keys(TOLERANCE) as (keyof typeof TOLERANCE)[]) worst[k] = Math.max(worst[k], d[k]);
      // CSV row i is the same face: time, track and age as in the JSON
      const row = csv[i + 1].split(',');
      expect(Number(row[header.indexOf('time_s')])).toBeCloseTo(entry.timestampMs / 1000, 3);
      expect(Number(row[header.indexOf('track')])).toBe(a.trackId);
      const ageHead = Object.keys(a.age)[0];
      expect(Number(row[header.indexOf(`age_${ageHead}`)])).toBeCloseTo(a.age[ageHead].years, 2);
    });
    console.log('video vs CLI, worst over frames:', JSON.stringify(worst));
    expect(worst.box).toBeLessThan(0.02);
    for (const k of Object.keys(TOLERANCE) as (keyof typeof TOLERANCE)[]) expect(worst[k], k).toBeLessThanOrEqual(TOLERANCE[k]);
  });
});
