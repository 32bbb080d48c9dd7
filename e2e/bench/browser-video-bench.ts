/**
 * The app's video-file analysis at real size (issue 15 item 1; a benchmark, never a test):
 *
 *   npx tsx e2e/bench/browser-video-bench.ts --model <package dir> [--ep wasm|webgpu] [--threads N]
 *     [--seconds 6] [--rate 2] [--play-seconds 60]
 *
 * Debian Chromium headless, the built app served (`vite build` first) with the package linked into dist/models/
 * and loaded by `?model=`, the default tasks (one head per type). A video is generated here (ffmpeg: Grace Hopper's
 * photo sliding across a grey 640×480 frame at 10 fps, at most 8 s so the face stays in view). Two runs, as a user
 * does them:
 * 1. "Analyse whole video" at `--rate` frames/s: every enabled task on every sampled frame (the 512 tasks too).
 *    Prints seconds per frame (wall, and the analysis' own totals), the graph runs per frame and the track count.
 * 2. Playing the video with the live overlay for `--play-seconds` (the camera's loop: tracks, 112 tasks each frame,
 *    the 512 tasks refreshed by their measured cost): results per second and how many carried a fresh 512 result.
 * Peak RSS of the renderer (page + workers) is sampled every 500 ms throughout.
 */
import { join } from 'node:path';
import { hookState, launch } from '../support/browser.ts';
import { makeMovingFaceVideo, tempDir } from '../support/fixtures.ts';
import { FACES } from '../support/paths.ts';
import { startPreview } from '../support/preview.ts';
import { benchArg, linkPackage, openWithPackage } from './app-with-package.ts';
import { browserPid, sample } from './process-memory.ts';

interface FrameSummary {
  readonly timeMs: number;
  readonly faces: number;
  readonly tracks: (number | undefined)[];
  readonly totalMs: number;
  readonly encoder512: number;
  readonly encoder112: number;
}

async function main(): Promise<void> {
  const modelDir = benchArg('model', '');
  if (!modelDir)
    throw new Error('usage: browser-video-bench.ts --model <package dir> [--ep wasm|webgpu] [--threads N]');
  const ep = benchArg('ep', 'wasm');
  const threads = benchArg('threads', '');
  const seconds = Number(benchArg('seconds', '6'));
  const rate = benchArg('rate', '2');
  const playSeconds = Number(benchArg('play-seconds', '60'));
  const unlink = linkPackage(modelDir, 'video-bench-package');
  const tmp = tempDir('faceptor-video-bench-');
  // At most 8 s: the face (40 px/s) stays wholly in the frame; playing loops it.
  const video = makeMovingFaceVideo(join(FACES, 'grace_hopper.jpg'), tmp.dir, {
    seconds: Math.min(seconds, 8),
    fps: 10,
  });
  const server = await startPreview();
  const browser = await launch({ webgpu: ep === 'webgpu' });
  let peakRenderer = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    const root = browserPid();
    const take = () => (peakRenderer = Math.max(peakRenderer, sample(root).renderer));
    timer = setInterval(take, 500);
    const { page, problems, status, loadedS } = await openWithPackage(browser, server.url, 'video-bench-package', {
      ep,
      threads,
    });
    const afterLoad = take();
    console.log(
      `package ${modelDir}; ${status?.provider} ${status?.wasmThreads ?? '?'} thread(s); model loaded in ${loadedS.toFixed(1)} s; renderer ${afterLoad.toFixed(0)} MiB after load`,
    );

    await page.setInputFiles('[data-testid="video-input"]', video);
    await page.waitForFunction(
      () => ((document.querySelector('[data-testid="video-player"]') as HTMLVideoElement | null)?.readyState ?? 0) >= 2,
    );

    // 1. The whole video at --rate: --seconds × --rate frames.
    await page.selectOption('[data-testid="video-rate"]', rate);
    const wholeStart = performance.now();
    await page.click('[data-testid="video-analyse"]');
    const want = Math.floor(seconds * Number(rate));
    await page.waitForFunction(
      (n) => {
        const v = (
          window as unknown as { __faceptor: { state(): { video: { done: number; state: string } } } }
        ).__faceptor.state().video;
        return v.done >= n || v.state !== 'running';
      },
      want,
      { timeout: 1_800_000, polling: 500 },
    );
    const wholeS = (performance.now() - wholeStart) / 1000;
    // Stops a longer analysis; the frame in flight still ends (the live overlay waits for it).
    await page.click('[data-testid="video-cancel"]').catch(() => undefined);
    await page.waitForFunction(
      () =>
        (window as unknown as { __faceptor: { state(): { video: { state: string } } } }).__faceptor.state().video
          .state !== 'running',
      undefined,
      { timeout: 600_000, polling: 500 },
    );
    interface HookFrame {
      timeMs: number;
      faces: { trackId: number | null }[];
      totalMs: number;
      runs: { encoder512: number; encoder112: number } | null;
    }
    const hook = (await hookState(page)) as unknown as { video: { frames: HookFrame[] } };
    const frames = hook.video.frames.map((f): FrameSummary => ({
      timeMs: f.timeMs,
      faces: f.faces.length,
      tracks: f.faces.map((x) => x.trackId ?? undefined),
      totalMs: f.totalMs,
      encoder512: f.runs?.encoder512 ?? 0,
      encoder112: f.runs?.encoder112 ?? 0,
    }));
    const n = frames.length;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const totals = frames.map((f) => f.totalMs);
    console.log(
      `whole video: ${n} frame(s) at ${rate}/s in ${wholeS.toFixed(1)} s wall (${(wholeS / Math.max(1, n)).toFixed(2)} s per frame, seek and copy included); ` +
        `analysis ${(mean(totals) / 1000).toFixed(2)} s per frame (first ${((totals[0] ?? 0) / 1000).toFixed(2)} s, ` +
        `min ${(Math.min(...totals) / 1000).toFixed(2)}, max ${(Math.max(...totals) / 1000).toFixed(2)}); ` +
        `faces per frame ${mean(frames.map((f) => f.faces)).toFixed(2)}; 512 runs per frame ${mean(frames.map((f) => f.encoder512)).toFixed(2)}; ` +
        `tracks ${new Set(frames.flatMap((f) => f.tracks)).size}; renderer peak so far ${peakRenderer.toFixed(0)} MiB`,
    );

    // 2. Play with the live overlay.
    await page.evaluate(() => {
      const v = document.querySelector('[data-testid="video-player"]') as HTMLVideoElement;
      v.currentTime = 0;
      v.muted = true;
      v.loop = true;
      return v.play();
    });
    const seen = new Map<number, { fresh512: boolean; faces: number; totalMs: number; landmarks: boolean }>();
    const playStart = performance.now();
    // When the overlay first showed the face, and first with its landmarks (s after pressing play).
    let firstFace: number | null = null;
    let firstLandmarks: number | null = null;
    while (performance.now() - playStart < playSeconds * 1000) {
      const latest = await page.evaluate(() => {
        const v = (
          window as unknown as {
            __faceptor: {
              state(): {
                video: {
                  latestAt: number;
                  latest: {
                    faces: { tasks: string[] }[];
                    totalMs: number;
                    runs: { encoder512: number } | null;
                  } | null;
                };
              };
            };
          }
        ).__faceptor.state().video;
        return v.latest
          ? {
              at: v.latestAt,
              faces: v.latest.faces.length,
              fresh512: (v.latest.runs?.encoder512 ?? 0) > 0,
              landmarks: v.latest.faces.some((f) => f.tasks.includes('landmarks')),
              totalMs: v.latest.totalMs,
            }
          : null;
      });
      if (latest && !seen.has(latest.at)) {
        seen.set(latest.at, latest);
        const now = (performance.now() - playStart) / 1000;
        if (latest.faces > 0) firstFace ??= now;
        if (latest.landmarks) firstLandmarks ??= now;
      }
      await page.waitForTimeout(50);
    }
    await page.evaluate(() => (document.querySelector('[data-testid="video-player"]') as HTMLVideoElement).pause());
    const played = [...seen.values()].filter((p) => p.faces > 0);
    const empty = seen.size - played.length;
    console.log(
      `playing ${playSeconds} s with the overlay (looped): ${played.length} result(s) with the face shown (${(played.length / playSeconds).toFixed(2)}/s; ${empty} without a face), ` +
        `${played.filter((p) => p.fresh512).length} with a fresh 512 pass; analysis ${(mean(played.map((p) => p.totalMs)) / 1000).toFixed(2)} s per shown result ` +
        `(112-only ${(mean(played.filter((p) => !p.fresh512).map((p) => p.totalMs)) / 1000).toFixed(2)} s)`,
    );
    console.log(
      `first result with the face ${firstFace?.toFixed(1) ?? '—'} s after play; first with its landmarks ${firstLandmarks?.toFixed(1) ?? '—'} s`,
    );
    console.log(`renderer peak RSS ${peakRenderer.toFixed(0)} MiB (after load ${afterLoad.toFixed(0)} MiB)`);
    if (problems.length) console.log(`page problems: ${problems.join(' | ')}`);
  } finally {
    if (timer) clearInterval(timer);
    await browser.close();
    await server.stop();
    unlink();
    tmp.remove();
  }
}

await main();
