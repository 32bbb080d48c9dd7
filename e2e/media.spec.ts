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
/* eslint-disable @typescript-eslint/no-explicit-any -- the page's state comes through the test hook as untyped JSON */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFiles, hookState, launch, openPage, waitForEngine } from './support/browser.ts';
import { makeFakeCamera, makeMovingFaceVideo, tempDir } from './support/fixtures.ts';
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

const state = (p: Page): Promise<any> => hookState(p);
const ffmpeg = (args: string[]) =>
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });

/** The CLI on many files at once (one model load), as a user would run it. */
async function cliOn(files: string[]): Promise<any[]> {
  const out = join(tmp.dir, `cli-${Date.now()}.json`);
  await promisify(execFile)(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'),
      join(REPO_ROOT, 'tools/cli/analyze.ts'),
      ...files,
      '--json',
      out,
      '--detector',
      'front',
      '--model',
      fixture.dir,
      '--tasks',
      'default',
    ],
    { cwd: REPO_ROOT, timeout: 180_000 },
  );
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
  video = makeMovingFaceVideo(join(FACES, 'grace_hopper.jpg'), tmp.dir, VIDEO);
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
    await page.waitForFunction(
      () => ((document.querySelector('[data-testid="video-player"]') as HTMLVideoElement | null)?.readyState ?? 0) >= 2,
    );
    await page.evaluate(() => {
      const v = document.querySelector('[data-testid="video-player"]') as HTMLVideoElement;
      v.loop = true;
      void v.play();
    });
    await page.waitForFunction(
      () => {
        const l = (window as any).__faceptor.state().video.latest;
        return l?.faces?.length === 1 && l.faces[0].trackId > 0 && l.faces[0].tasks.includes('age');
      },
      undefined,
      { timeout: 120_000, polling: 200 },
    );
    await page.waitForSelector('[data-testid="video-live-overlay"][data-faces="1"]');
    await page.evaluate(() => (document.querySelector('[data-testid="video-player"]') as HTMLVideoElement).pause());
  });

  it('analyses a whole video: timelines per track that seek, JSON/CSV per frame agreeing with the CLI', async () => {
    if (!(await page.locator('[data-testid="video-player"]').count()))
      await page.setInputFiles('[data-testid="video-input"]', video);
    await page.waitForFunction(
      () => ((document.querySelector('[data-testid="video-player"]') as HTMLVideoElement | null)?.readyState ?? 0) >= 2,
    );
    await page.selectOption('[data-testid="video-rate"]', String(VIDEO.rate));
    await page.click('[data-testid="video-analyse"]');
    await page.waitForSelector('[data-testid="video-progress"][data-state="done"]', { timeout: 120_000 });
    const s = await state(page);
    const times = s.video.frames.map((f: { timeMs: number }) => f.timeMs);
    expect(times).toEqual([0, 500, 1000, 1500, 2000, 2500]);
    // one face, one track all along, moving right
    expect(s.video.frames.every((f: { faces: unknown[] }) => f.faces.length === 1)).toBe(true);
    expect(new Set(s.video.frames.map((f: any) => f.faces[0].trackId)).size).toBe(1);
    expect(s.video.frames.at(-1).faces[0].box.x - s.video.frames[0].faces[0].box.x).toBeGreaterThan(60);
    // timelines: one track, age / expression / attributes charts with drawn lines, the cursor seeks on click
    await page.waitForSelector('[data-testid="timeline-track"]');
    expect(await page.locator('[data-testid="timeline-track"]').count()).toBe(1);
    const kinds = await page
      .locator('[data-testid="timeline"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(expect.arrayContaining(['Age (years)', 'Expression', 'Attributes']));
    const paths = await page
      .locator('[data-testid="timeline-series"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('d') ?? ''));
    expect(paths.every((d) => (d.match(/[ML]/g) ?? []).length === 6)).toBe(true); // 6 samples per line
    const svg = page.locator('[data-testid="timeline"] svg').first();
    const boxOf = (await svg.boundingBox())!;
    await svg.click({ position: { x: boxOf.width * 0.5, y: boxOf.height / 2 } });
    await page.waitForFunction(
      () =>
        Math.abs((document.querySelector('[data-testid="video-player"]') as HTMLVideoElement).currentTime - 1.5) < 0.05,
    );
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="timeline-cursor"]')?.getAttribute('x1')) > 280,
    );
    expect(await page.locator('[data-testid="video-overlay"]').getAttribute('data-faces')).toBe('1');
    await expect(page.isVisible('[data-testid="video-faces"] [data-testid="face-untrained"]')).resolves.toBe(true);

    const json = JSON.parse((await download(() => page.click('[data-testid="video-export-json"]'))).toString('utf8'));
    const csv = (await download(() => page.click('[data-testid="video-export-csv"]')))
      .toString('utf8')
      .trim()
      .split('\r\n');
    expect(json.model.untrained).toBe(true);
    expect(json.images.map((e: { timestampMs: number }) => e.timestampMs)).toEqual(times);
    expect(csv).toHaveLength(1 + times.length);
    const header = csv[0].split(',');
    expect(header.slice(0, 4)).toEqual(['file', 'time_s', 'frame', 'track']);
    expect(header.at(-1)).toBe('model_untrained');
    expect(csv.slice(1).every((r) => r.endsWith(',true'))).toBe(true); // no banner in a CSV: each row says it

    // The right frames: the CLI on frames cut by ffmpeg at the same times finds the face in the same place (the face
    // moves 20 px between frames, 7 % of its box). Task values are compared on the pixels the browser decoded (its
    // YUV→RGB conversion is not ffmpeg's, and random-weight heads magnify a level of difference): the same frames,
    // read back from the page the way the analysis read them, through the CLI.
    const cut = times.map((t: number, i: number) => {
      const out = join(tmp.dir, `ffmpeg-frame-${i}.png`);
      ffmpeg(['-ss', (t / 1000).toFixed(3), '-i', video, '-frames:v', '1', out]);
      return out;
    });
    // read back exactly as analyse-video.ts reads (a willReadFrequently canvas, getImageData): Chromium may convert
    // YUV→RGB differently for a GPU canvas once the video has played
    const decoded: string[] = await page.evaluate(async (ts: number[]) => {
      const v = document.querySelector('[data-testid="video-player"]') as HTMLVideoElement;
      const c = Object.assign(document.createElement('canvas'), { width: v.videoWidth, height: v.videoHeight });
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      const out: string[] = [];
      for (const t of ts) {
        // as seekFrame does: 'seeked' and the new frame's presentation (or a short grace when none comes)
        await new Promise<void>((resolve) => {
          let seeked = false,
            presented = false;
          (v as any).requestVideoFrameCallback(() => {
            presented = true;
            if (seeked) resolve();
          });
          v.addEventListener(
            'seeked',
            () => {
              seeked = true;
              if (presented) resolve();
              else setTimeout(resolve, 500);
            },
            { once: true },
          );
          v.currentTime = t / 1000;
        });
        ctx.drawImage(v, 0, 0);
        const { data } = ctx.getImageData(0, 0, c.width, c.height);
        let bin = '';
        for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
        out.push(btoa(bin));
      }
      return out;
    }, times);
    const pngs = decoded.map((b64, i) => {
      const f = join(tmp.dir, `browser-frame-${i}.png`);
      const img = new PNG({ width: 640, height: 480 });
      Buffer.from(b64, 'base64').copy(img.data);
      writeFileSync(f, PNG.sync.write(img));
      return f;
    });
    const [onCut, onDecoded] = [await cliOn(cut), await cliOn(pngs)];
    const worst = { box: 0, landmarks: 0, parsing: 0, ageYears: 0, expression: 0, attributes: 0, identity: 0 };
    json.images.forEach((entry: any, i: number) => {
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
    for (const k of Object.keys(TOLERANCE) as (keyof typeof TOLERANCE)[])
      expect(worst[k], k).toBeLessThanOrEqual(TOLERANCE[k]);
  });

  it('a live snapshot becomes a card whose annotated PNG, label map and .pts match what the card shows', async () => {
    await page.click('[data-testid="camera-start"]');
    await page.waitForFunction(() => (window as any).__faceptor.state().live.latest?.faces?.length === 1, undefined, {
      timeout: 120_000,
      polling: 250,
    });
    await page.click('[data-testid="camera-snapshot"]');
    const card = page.locator('[data-testid="gallery-item"][data-name^="snapshot"]');
    await card.waitFor();
    await page.click('[data-testid="camera-stop"]'); // the frame is taken: the live loop need not compete with its analysis
    await card.and(page.locator('[data-state="done"]')).waitFor({ timeout: 120_000 });
    const name = (await card.getAttribute('data-name'))!;
    const item = (await state(page)).gallery.find((g: { name: string }) => g.name === name);
    const [face] = item.analysis.faces;
    // every enabled task ran on the snapshot, the 512 ones included
    for (const k of ['landmarks', 'parsing', 'age', 'expression', 'attributes', 'identity'])
      expect(face, k).toHaveProperty(k);
    const { width, height } = item.analysis;
    expect([width, height]).toEqual([640, 480]);

    // annotated PNG = the card's photo with its overlay canvas composited on top, pixel for pixel
    const [annotated] = await Promise.all([
      page.waitForEvent('download'),
      card.locator('[data-testid="gallery-export-png"]').click(),
    ]);
    expect(annotated.suggestedFilename()).toBe(name.replace(/\.png$/, '.untrained.annotated.png'));
    const png = PNG.sync.read(readFileSync((await annotated.path())!));
    expect([png.width, png.height]).toEqual([width, height]);
    const shown = await card
      .evaluate((fig) => {
        const img = fig.querySelector('img')!,
          overlay = fig.querySelector('canvas.overlay') as HTMLCanvasElement;
        const c = Object.assign(document.createElement('canvas'), { width: overlay.width, height: overlay.height });
        const ctx = c.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        const b64 = (d: Uint8ClampedArray) => {
          let s = '';
          for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode(...d.subarray(i, i + 0x8000));
          return btoa(s);
        };
        return {
          photo: b64(ctx.getImageData(0, 0, c.width, c.height).data),
          overlay: b64(overlay.getContext('2d')!.getImageData(0, 0, c.width, c.height).data),
        };
      })
      .then((r) => ({ photo: Buffer.from(r.photo, 'base64'), overlay: Buffer.from(r.overlay, 'base64') }));
    let worst = 0,
      covered = 0;
    for (let i = 0; i < width * height * 4; i += 4) {
      const a = shown.overlay[i + 3] / 255;
      if (a > 0) covered++;
      for (let k = 0; k < 3; k++)
        worst = Math.max(worst, Math.abs(png.data[i + k] - (a * shown.overlay[i + k] + (1 - a) * shown.photo[i + k])));
    }
    expect(covered).toBeGreaterThan(1000); // boxes, points and the mask are in the picture
    expect(worst).toBeLessThanOrEqual(3); // 8-bit rounding of premultiplied alpha

    // label map: pixel value = class index, the mask at its region and 0 elsewhere
    const [head] = Object.keys(face.parsing);
    const p = face.parsing[head];
    const labels = PNG.sync.read(await download(() => card.locator('[data-testid="gallery-export-labels"]').click()));
    const mask = decodeRle(p.rle, p.width * p.height);
    let mismatches = 0,
      labelled = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = x - p.region.x,
          j = y - p.region.y;
        const want = i >= 0 && j >= 0 && i < p.width && j < p.height ? mask[j * p.width + i] : 0;
        const got = labels.data[(y * width + x) * 4];
        if (got !== 0) labelled++;
        if (got !== want) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
    expect(labelled).toBeGreaterThan(1000);

    // .pts: the 300W form, 1-based in the file, the card's landmarks once read back
    const [set] = Object.keys(face.landmarks);
    const pts = (await download(() => card.locator('[data-testid="gallery-export-pts"]').click())).toString('utf8');
    expect(pts).toMatch(new RegExp(`^version: 1\nn_points:  ${face.landmarks[set].points.length}\n\{\n`));
    fromPts(pts).forEach(([x, y], k) => {
      expect(Math.abs(x - face.landmarks[set].points[k][0])).toBeLessThan(0.011);
      expect(Math.abs(y - face.landmarks[set].points[k][1])).toBeLessThan(0.011);
    });
  });

  it('compares the snapshot face with a dropped photo face: both crops and their cosine similarity', async () => {
    await page.locator('[data-testid="gallery-item"][data-name^="snapshot"] [data-testid="face-compare"]').click();
    await dropFiles(page, [
      {
        name: 'astronaut.png',
        type: 'image/png',
        base64: readFileSync(join(FACES, 'astronaut.png')).toString('base64'),
      },
    ]);
    const card = page.locator('[data-testid="gallery-item"][data-name="astronaut.png"][data-state="done"]');
    await card.waitFor({ timeout: 120_000 });
    await card.locator('[data-testid="face-compare"]').first().click();
    await page.waitForSelector('[data-testid="compare-result"][data-similarity]:not([data-similarity=""])');
    const s = await state(page);
    const [a, b] = [
      s.gallery.find((g: any) => g.name.startsWith('snapshot')),
      s.gallery.find((g: any) => g.name === 'astronaut.png'),
    ].map((g) => g.analysis.faces[0].identity.embedding as number[]);
    const cosine =
      a.reduce((sum, v, i) => sum + v * b[i], 0) /
      Math.sqrt(a.reduce((x, v) => x + v * v, 0) * b.reduce((x, v) => x + v * v, 0));
    const shown = Number(await page.getAttribute('[data-testid="compare-result"]', 'data-similarity'));
    expect(Math.abs(shown - cosine)).toBeLessThan(2e-4); // rounding of the JSON (1e-6) and of the attribute (1e-4)
    const threshold = Number(await page.getAttribute('[data-testid="identity-threshold"]', 'data-value'));
    expect(await page.getAttribute('[data-testid="compare-result"]', 'data-same')).toBe(String(shown >= threshold));
    const crops = await page
      .locator('[data-testid="compare-crop"]')
      .evaluateAll((els) => els.map((e) => (e as HTMLImageElement).naturalWidth));
    expect(crops).toEqual([112, 112]);
    await expect(page.isVisible('[data-testid="compare-panel"] [data-testid="face-untrained"]')).resolves.toBe(true);

    // an enrolled person as side B: the astronaut enrolled, then compared with the astronaut's face → cosine 1, same
    await card.locator('[data-testid="face-enrol-name"]').fill('Eileen');
    await card.locator('[data-testid="face-enrol"]').click();
    await page.locator('[data-testid="identity-person"][data-name="Eileen"] [data-testid="identity-compare"]').click();
    await page.waitForSelector('[data-testid="compare-side"]:nth-child(3) .compare-placeholder');
    await page.locator('[data-testid="compare-clear"]').click();
    await card.locator('[data-testid="face-compare"]').first().click();
    await page.locator('[data-testid="identity-person"][data-name="Eileen"] [data-testid="identity-compare"]').click();
    await page.waitForSelector('[data-testid="compare-result"][data-same="true"]');
    expect(Number(await page.getAttribute('[data-testid="compare-result"]', 'data-similarity'))).toBeCloseTo(1, 4);
    expect(problems).toEqual([]);
  });

  it('analyses a folder of 50 photos in the batch queue with pause/resume, a sortable table and a bounded JS heap', async () => {
    // the 112 tasks only (the 512 pass would make 50 photos take minutes on this CPU); the queue does not care
    for (const type of ['align', 'parsing']) {
      const toggle = page.locator(`[data-testid="task-toggle"][data-type="${type}"][data-on="true"]`);
      if (await toggle.count()) await toggle.click();
    }
    const folder = join(tmp.dir, 'album');
    mkdirSync(folder);
    ffmpeg([
      '-i',
      video,
      '-vf',
      'fps=50/3,scale=320:-2',
      '-frames:v',
      '50',
      '-q:v',
      '4',
      join(folder, 'photo-%02d.jpg'),
    ]);
    writeFileSync(join(folder, 'notes.txt'), 'not a photo');
    const cdp = await page.context().newCDPSession(page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    const before = await heap();

    await page.setInputFiles('[data-testid="batch-input"]', folder);
    await page.waitForSelector('[data-testid="batch-progress"][data-total="50"]');
    expect((await state(page)).batch.skipped).toBe(1);
    // pause: the photo in progress finishes, then nothing more until resumed
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="batch-progress"]')?.getAttribute('data-done')) >= 3,
      undefined,
      { timeout: 60_000 },
    );
    await page.click('[data-testid="batch-pause"]');
    await page.waitForFunction(
      () => !(window as any).__faceptor.state().batch.items.some((i: any) => i.state === 'analysing'),
    );
    const paused = Number(await page.getAttribute('[data-testid="batch-progress"]', 'data-done'));
    await page.waitForTimeout(1500);
    expect(Number(await page.getAttribute('[data-testid="batch-progress"]', 'data-done'))).toBe(paused);
    await page.click('[data-testid="batch-resume"]');
    await page.waitForSelector('[data-testid="batch-progress"][data-done="50"][data-queue="idle"]', {
      timeout: 180_000,
    });

    const s = await state(page);
    expect(
      s.batch.items.every((i: { state: string; faces: unknown[] }) => i.state === 'done' && i.faces.length === 1),
    ).toBe(true);
    // memory: rows hold a summary and a JSON entry — no image in the page, a bounded heap
    expect(await page.locator('[data-testid="batch-panel"] img').count()).toBe(0);
    const grown = (await heap()) - before;
    console.log(`batch: JS heap grew ${(grown / 1024 / 1024).toFixed(2)} MiB for 50 photos`);
    expect(grown).toBeLessThan(50 * 100 * 1024); // ≤ 100 KiB per photo; one decoded 320×240 photo is 300 KiB

    // sorting by age: ascending, then descending
    await page.click('[data-testid="batch-sort"][data-key="age"]');
    const ages = async () =>
      (await page.locator('[data-testid="batch-row"] td:nth-child(3)').allTextContents()).map(Number);
    const up = await ages();
    expect(up).toEqual([...up].sort((a, b) => a - b));
    await page.click('[data-testid="batch-sort"][data-key="age"]');
    expect(await ages()).toEqual([...up].reverse());
    // a row's card is built on demand (its photo decoded then) and JSON/CSV cover every photo
    await page.locator('[data-testid="batch-row"] button').first().click();
    await page.waitForSelector('[data-testid="batch-card"] [data-testid="batch-overlay"][data-faces="1"]');
    const json = JSON.parse((await download(() => page.click('[data-testid="batch-export-json"]'))).toString('utf8'));
    expect(json.images).toHaveLength(50);
    expect(json.images[0].faces[0].age).toBeDefined();
    const csv = (await download(() => page.click('[data-testid="batch-export-csv"]')))
      .toString('utf8')
      .trim()
      .split('\r\n');
    expect(csv).toHaveLength(51);
    expect(csv.slice(1).every((r) => r.endsWith(',true'))).toBe(true);
    // the new views keep the house layout rules: no sideways scroll, every target ≥ 24 px (as images.spec checks the rest)
    for (const [w, h] of [
      [390, 844],
      [1280, 720],
    ]) {
      await page.setViewportSize({ width: w, height: h });
      const m = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        small: [...document.querySelectorAll('.video-panel, .batch-panel, .compare, .gallery figcaption, .face-panel')]
          .flatMap((p) => [...p.querySelectorAll('button, select, input')])
          .filter((e) => (e as HTMLElement).offsetParent !== null && !(e as HTMLInputElement).hidden)
          .map((e) => ({
            e,
            r: ((e as HTMLInputElement).type === 'checkbox' ? (e.closest('label') ?? e) : e).getBoundingClientRect(),
          }))
          .filter(({ r }) => r.width > 0 && (r.height < 24 || r.width < 24))
          .map(
            ({ e, r }) =>
              `${e.tagName} "${(e.textContent ?? '').slice(0, 20)}" ${r.width.toFixed(0)}×${r.height.toFixed(0)}`,
          ),
      }));
      expect(m.scroll, `${w}px: horizontal overflow`).toBe(0);
      expect(m.small, `${w}px: targets under 24 px`).toEqual([]);
    }
    expect(problems).toEqual([]);
  });
});
