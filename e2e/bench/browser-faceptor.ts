/**
 * Faceptor stages in the real app, in Debian Chromium on the WASM EP (a benchmark, never a test): the Full package
 * (default: the golden Full fixture exported by our exporter) is served as if installed, a photo is dropped
 * `iterations + warmup` times, and each analysis's worker timings plus the overlay's draw time are read back.
 *
 * The package is linked into dist/models/ and loaded with `?model=` (Playwright routes cannot carry a real-size
 * 394 MiB weights.bin). Per task selection (switched in the model panel, as a user would): detect, align/pre-process, encoder 112,
 * encoder 512, task graphs, decode, draw, the frame, and the share of the frame that is not a bare `session.run`.
 * Image-file decode (createImageBitmap) is reported apart, as in the Node bench: a video frame has none.
 * Needs `vite build` first (`npm run bench` does it).
 */
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TaskType } from '../../src/core/faceptor/tasks.ts';
import { dropFiles, hookState, launch, openPage, waitForEngine } from '../support/browser.ts';
import { exportGoldenFixture } from '../support/model-fixture.ts';
import { FACES, REPO_ROOT } from '../support/paths.ts';
import { startPreview } from '../support/preview.ts';

export type BenchRow = { readonly case: string } & Record<string, string | number>;

interface Timings {
  decodeMs: number;
  preprocessMs: number;
  runMs: number;
  postprocessMs: number;
  totalMs: number;
  faceptor?: {
    alignMs: number;
    encoder112Ms: number;
    encoder512Ms: number;
    taskMs: Record<string, number>;
    decodeMs: number;
    runMs: number;
  };
}
interface Runs {
  encoder112: number;
  encoder512: number;
  tasks: Record<string, number>;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Task types switched off in the model panel, as a user would (every type starts on). */
const CASES: { name: string; off: TaskType[] }[] = [
  { name: 'default heads (6 tasks)', off: [] },
  { name: 'no parsing/landmarks (4 × 112)', off: ['parsing', 'align'] },
  { name: '1 × 112 (age)', off: ['recog', 'biattr', 'affect', 'parsing', 'align'] },
];

/**
 * `threads`: runs each case once per entry, `?threads=N` (null = the app's default, min(cores, 4) when isolated);
 * `cases`: the task selections by name (default all of CASES).
 */
export async function browserFaceptorBench(options: {
  iterations: number;
  warmup: number;
  modelDir?: string;
  photo?: string;
  threads?: readonly (number | null)[];
  cases?: readonly string[];
}): Promise<BenchRow[]> {
  const photo = options.photo ?? 'grace_hopper.jpg';
  const base64 = readFileSync(join(FACES, photo)).toString('base64');
  const fixture = options.modelDir ? undefined : await exportGoldenFixture('faceptor_full');
  const served = join(REPO_ROOT, 'dist', 'models', 'bench-package');
  rmSync(served, { force: true, recursive: true });
  symlinkSync(resolve(options.modelDir ?? fixture!.dir), served, 'dir'); // before the server starts: it lists dist/ once
  const server = await startPreview();
  const rows: BenchRow[] = [];
  try {
    const plan = CASES.filter((c) => !options.cases || options.cases.includes(c.name)).flatMap((c) =>
      (options.threads ?? [null]).map((threads) => ({ ...c, threads })),
    );
    for (const c of plan) {
      const browser = await launch();
      try {
        const context = await browser.newContext();
        const threadsQuery = c.threads === null ? '' : `&threads=${c.threads}`;
        const { page } = await openPage(
          context,
          `${server.url}?ep=wasm${threadsQuery}&model=${encodeURIComponent(`${server.url}models/bench-package/`)}`,
        );
        const engine = await waitForEngine(page);
        if (engine.error) throw new Error(engine.error);
        const wasmThreads = (engine.status as { wasmThreads?: number } | null)?.wasmThreads ?? 1;
        await page.waitForSelector('[data-testid="model-notice"][data-state="loaded"]', { timeout: 300_000 });
        for (const type of c.off) await page.uncheck(`[data-testid="task-toggle"][data-type="${type}"]`);
        const m: Record<string, number[]> = {
          fileDecode: [],
          detect: [],
          align: [],
          enc112: [],
          enc512: [],
          tasks: [],
          decode: [],
          draw: [],
          frame: [],
          other: [],
        };
        let runs: Runs | null = null;
        let provider = '';
        for (let i = 0; i < options.iterations + options.warmup; i++) {
          const name = `bench-${i}-${photo}`;
          await dropFiles(page, [{ name, type: photo.endsWith('.png') ? 'image/png' : 'image/jpeg', base64 }]);
          const card = `[data-testid="gallery-item"][data-name="${name}"]`;
          await page.waitForSelector(`${card}[data-state="done"] canvas[data-draw-ms]`, { timeout: 600_000 });
          const drawMs = Number(await page.getAttribute(`${card} canvas`, 'data-draw-ms'));
          const state = (await hookState(page)) as unknown as {
            gallery: { name: string; analysis: { timings: Timings; runs: Runs | null; provider: string } }[];
          };
          const a = state.gallery.find((g) => g.name === name)!.analysis;
          await page.click(`${card} button.link`); // Remove: keeps the page's memory flat over many drops
          if (i < options.warmup) continue; // first analyses open the sessions and allocate
          const t = a.timings,
            f = t.faceptor;
          if (!f) throw new Error('no Faceptor timings: the model did not run');
          const frame = t.totalMs - t.decodeMs + drawMs;
          m.fileDecode.push(t.decodeMs);
          m.detect.push(t.preprocessMs + t.runMs + t.postprocessMs);
          m.align.push(f.alignMs);
          m.enc112.push(f.encoder112Ms);
          m.enc512.push(f.encoder512Ms);
          m.tasks.push(Object.values(f.taskMs).reduce((x, y) => x + y, 0));
          m.decode.push(f.decodeMs);
          m.draw.push(drawMs);
          m.frame.push(frame);
          m.other.push((100 * (frame - t.runMs - f.runMs)) / frame);
          runs = a.runs;
          provider = a.provider;
        }
        const taskRuns = runs ? Object.values(runs.tasks).reduce((x, y) => x + y, 0) : 0;
        rows.push({
          case: `${provider} ${c.name}`,
          'wasm threads': wasmThreads,
          'detect ms': median(m.detect),
          'align ms': median(m.align),
          'enc112 ms': median(m.enc112),
          'enc512 ms': median(m.enc512),
          'task graphs ms': median(m.tasks),
          'decode ms': median(m.decode),
          'draw ms': median(m.draw),
          'frame ms': median(m.frame),
          'not session.run %': median(m.other),
          'enc112 runs': runs?.encoder112 ?? 0,
          'enc512 runs': runs?.encoder512 ?? 0,
          'task runs': taskRuns,
          'file decode ms': median(m.fileDecode),
        });
      } finally {
        await browser.close();
      }
    }
  } finally {
    await server.stop();
    rmSync(served, { force: true });
    await fixture?.cleanup();
  }
  return rows;
}
