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
import { rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launch, openPage, waitForEngine } from '../support/browser.ts';
import { makeFakeCamera, tempDir } from '../support/fixtures.ts';
import { FACES, REPO_ROOT } from '../support/paths.ts';
import { startPreview } from '../support/preview.ts';
import { browserPid, sample, type Kind } from './process-memory.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const modelDir = arg('model', '');
  if (!modelDir)
    throw new Error('usage: browser-memory.ts --model <package dir> [--ep wasm|webgpu] [--threads N] [--seconds 60]');
  const ep = arg('ep', 'wasm');
  const threads = arg('threads', '');
  const seconds = Number(arg('seconds', '60'));
  const served = join(REPO_ROOT, 'dist', 'models', 'memory-bench-package');
  rmSync(served, { force: true, recursive: true });
  symlinkSync(resolve(modelDir), served, 'dir'); // before the server starts: it lists dist/ once
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
    const context = await browser.newContext();
    const t0 = performance.now();
    const query = `?ep=${ep}${threads ? `&threads=${threads}` : ''}&model=${encodeURIComponent(`${server.url}models/memory-bench-package/`)}`;
    const { page, problems } = await openPage(context, `${server.url}${query}`);
    const engine = await waitForEngine(page);
    if (engine.error) throw new Error(engine.error);
    await page.waitForSelector('[data-testid="model-notice"][data-state="loaded"]', { timeout: 600_000 });
    const loadedS = (performance.now() - t0) / 1000;
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
    const status = engine.status as { provider: string; wasmThreads?: number } | null;
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
    rmSync(served, { force: true });
    tmp.remove();
  }
}

await main();
