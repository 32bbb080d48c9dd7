/**
 * `npm run bench:browser [-- --frames N] [--ep wasm|webgpu]`: detection timings in the real app, in Debian Chromium.
 *
 * For each shared face photo, Chromium's fake camera plays it (one-frame y4m, 640×480) into the live demo on the
 * chosen EP (default WASM); the app records per-frame timings (src/state/live.ts). We print medians of
 * `session.run`, of everything else in a frame's round trip (grab with createImageBitmap, transfer, RGBA copy,
 * letterbox, decode + NMS, messaging), and the share of "everything else" in the frame time. Target on WASM: ≤ 20 %.
 * A benchmark, not a test: it prints numbers and never fails on them. Needs `npm run build` first.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hookState, launch, openPage, waitForEngine } from '../support/browser.ts';
import { makeFakeCamera, tempDir } from '../support/fixtures.ts';
import { FACES } from '../support/paths.ts';
import { startPreview } from '../support/preview.ts';

interface FrameTimings {
  decodeMs: number;
  preprocessMs: number;
  runMs: number;
  postprocessMs: number;
  totalMs: number;
  grabMs: number;
  roundTripMs: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const frames = Number(arg('frames', '100'));
  const ep = arg('ep', 'wasm');
  if (!(frames > 0) || !['wasm', 'webgpu'].includes(ep))
    throw new Error('usage: bench:browser [-- --frames N] [--ep wasm|webgpu]');
  const warmup = 10;
  const server = await startPreview();
  const tmp = tempDir('faceptor-bench-');
  const rows: Record<string, string | number>[] = [];
  try {
    for (const photo of readdirSync(FACES).filter((f) => /\.(png|jpe?g)$/i.test(f))) {
      const camera = makeFakeCamera(join(FACES, photo), tmp.dir);
      const browser = await launch({ webgpu: ep === 'webgpu', fakeCameraY4m: camera.y4m });
      try {
        const { page } = await openPage(await browser.newContext(), `${server.url}?ep=${ep}`);
        const engine = await waitForEngine(page);
        if (engine.error) throw new Error(engine.error);
        await page.click('[data-testid="camera-start"]');
        await page.waitForFunction(
          (n) => {
            const s = (
              window as unknown as { __faceptor: { state(): { live: { framesAnalysed: number } } } }
            ).__faceptor.state();
            return s.live.framesAnalysed >= n;
          },
          Math.min(frames + warmup, 120),
          { timeout: 600_000, polling: 200 },
        );
        const state = (await hookState(page)) as unknown as {
          live: { recentTimings: FrameTimings[] };
          engine: { status: { provider: string } };
        };
        const t = state.live.recentTimings.slice(warmup);
        const run = median(t.map((x) => x.runMs));
        const frame = median(t.map((x) => x.roundTripMs));
        const other = median(t.map((x) => x.roundTripMs - x.runMs));
        rows.push({
          photo,
          ep: state.engine.status.provider,
          frames: t.length,
          'session.run ms': run.toFixed(2),
          'everything else ms': other.toFixed(2),
          'frame (round trip) ms': frame.toFixed(2),
          'other / frame': `${((100 * other) / (other + run)).toFixed(1)} %`,
          'worker-only other / (other + run)': `${(100 * median(t.map((x) => (x.totalMs - x.runMs) / x.totalMs))).toFixed(1)} %`,
          'in worker: copy / pre / post ms': `${median(t.map((x) => x.decodeMs)).toFixed(2)} / ${median(t.map((x) => x.preprocessMs)).toFixed(2)} / ${median(t.map((x) => x.postprocessMs)).toFixed(2)}`,
          'grab ms': median(t.map((x) => x.grabMs)).toFixed(2),
        });
      } finally {
        await browser.close();
      }
    }
  } finally {
    tmp.remove();
    await server.stop();
  }
  process.stdout.write(`\n== browser detection, live camera 640×480, BlazeFace 128, medians ==\n`);
  console.table(rows);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:browser: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
