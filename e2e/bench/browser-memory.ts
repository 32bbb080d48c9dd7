/**
 * Memory of the real app holding a Faceptor package (a benchmark, never a test):
 *
 *   npx tsx e2e/bench/browser-memory.ts --model <package dir> [--ep wasm|webgpu] [--threads N] [--seconds 60]
 *
 * Debian Chromium headless, the built app served (`vite build` first) with the package linked into dist/models/
 * and loaded by `?model=` (as a user installs one), the six task types on with their default heads, the fake camera
 * playing a face for `--seconds`. Peak RSS per Chromium process type (renderer, GPU process, browser, other), sampled
 * every second with `ps` over the browser's process tree — shared pages count in each process, so the "all" column
 * over-counts a little; compare before/after with the same harness only.
 */
import { join } from 'node:path';
import { launch } from '../support/browser.ts';
import { makeFakeCamera, tempDir } from '../support/fixtures.ts';
import { FACES } from '../support/paths.ts';
import { startPreview } from '../support/preview.ts';
import { benchArg, linkPackage, openWithPackage } from './app-with-package.ts';
import { browserPid, sample, type Kind } from './process-memory.ts';

async function main(): Promise<void> {
  const modelDir = benchArg('model', '');
  if (!modelDir)
    throw new Error('usage: browser-memory.ts --model <package dir> [--ep wasm|webgpu] [--threads N] [--seconds 60]');
  const ep = benchArg('ep', 'wasm');
  const threads = benchArg('threads', '');
  const seconds = Number(benchArg('seconds', '60'));
  const unlink = linkPackage(modelDir, 'memory-bench-package');
  const tmp = tempDir('faceptor-memory-');
  const camera = makeFakeCamera(join(FACES, 'grace_hopper.jpg'), tmp.dir);
  const server = await startPreview();
  const browser = await launch({ webgpu: ep === 'webgpu', fakeCameraY4m: camera.y4m });
  const peak: Record<Kind | 'all', number> = { renderer: 0, gpu: 0, browser: 0, other: 0, all: 0 };
  let timer: NodeJS.Timeout | undefined;
  try {
    const root = browserPid();
    const take = () => {
      const s = sample(root);
      for (const k of Object.keys(s) as Kind[]) peak[k] = Math.max(peak[k], s[k]);
      peak.all = Math.max(peak.all, s.renderer + s.gpu + s.browser + s.other);
    };
    timer = setInterval(take, 1000);
    const { page, problems, status, loadedS } = await openWithPackage(browser, server.url, 'memory-bench-package', {
      ep,
      threads,
    });
    take();
    const afterLoad = { ...peak };
    await page.click('[data-testid="camera-start"]');
    await page.waitForTimeout(seconds * 1000);
    take();
    const end = sample(root);
    const live = await page.evaluate(
      () =>
        (
          window as unknown as { __faceptor: { state(): { live: { framesAnalysed: number; error: string | null } } } }
        ).__faceptor.state().live,
    );
    console.log(
      `package ${modelDir}; ${status?.provider} ${status?.wasmThreads ?? '?'} thread(s); model loaded in ${loadedS.toFixed(1)} s; ${live.framesAnalysed} frames in ${seconds} s${live.error ? `; camera error: ${live.error}` : ''}${problems.length ? `; page problems: ${problems.join(' | ')}` : ''}`,
    );
    const f = (x: number) => `${x.toFixed(0)} MiB`;
    console.log(
      `peak RSS after load : renderer ${f(afterLoad.renderer)}, GPU ${f(afterLoad.gpu)}, browser ${f(afterLoad.browser)}, other ${f(afterLoad.other)}, all ${f(afterLoad.all)}`,
    );
    console.log(
      `peak RSS after live : renderer ${f(peak.renderer)}, GPU ${f(peak.gpu)}, browser ${f(peak.browser)}, other ${f(peak.other)}, all ${f(peak.all)}`,
    );
    console.log(
      `RSS at the end      : renderer ${f(end.renderer)}, GPU ${f(end.gpu)}, browser ${f(end.browser)}, other ${f(end.other)}, all ${f(end.renderer + end.gpu + end.browser + end.other)}`,
    );
  } finally {
    if (timer) clearInterval(timer);
    await browser.close();
    await server.stop();
    unlink();
    tmp.remove();
  }
}

await main();
