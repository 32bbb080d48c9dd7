/**
 * `npm run bench [-- --iterations N] [--faceptor-iterations N] [--faceptor-warmup N] [--model <package dir>] [--no-faceptor] [--no-browser] [--no-threads] [--only-threads] [--no-cli] [--only-cli] [--cli-photos N] [--cli-runs N] [--cli-real-size] [--export] [--real-size]`
 *
 * Sections (each can be skipped):
 * - detection: BlazeFace front/back on the shared photos and a synthetic 1280×720 frame, in Node
 *   (onnxruntime-node, CPU, 1 thread). Reports the median bare `session.run`, the median of everything else in a
 *   detect() call (letterbox/normalise, tensor copies, decode, NMS, mapping) and their share of the frame, plus
 *   the median PNG/JPEG file decode (not part of a video frame, reported apart).
 * - faceptor: the whole frame (detect + Faceptor tasks) on grace_hopper.jpg with the golden Full fixture exported
 *   to a temp folder (or `--model <dir>`): per stage detect, align/pre-process, encoder 112, encoder 512, task graph
 *   per task, decode, plus the share of the frame that is NOT a bare `session.run` (target ≤ 5 %), and counted
 *   encoder passes per task selection (1 × 112 task vs all 112 tasks; with/without the 512 tasks).
 * - browser: the same Full package in the real app (Debian Chromium, WASM EP; e2e/bench/browser-faceptor.ts): a photo
 *   dropped repeatedly per task selection; the worker's stage timings plus the overlay's draw time, the share that
 *   is not `session.run`, and the encoder/task run counts. Needs the built app (`npm run bench` builds it first).
 * - wasm threads: the default-heads frame in the app on 1 WASM thread and on the default (min(cores, 4), the page
 *   being cross-origin isolated), with the speed-ups (target: 512 encoder ≥ 1.6× on 2 threads). `--no-threads`
 *   skips it, `--only-threads` runs nothing else.
 * - cli throughput: `analyze <folder> --workers 1` vs `--workers 2` on 40 photos built from ../shared/faces, with the
 *   golden Full fixture (or `--model`); images/s per worker count and the speed-up (target ≥ 1.7× on 2 cores;
 *   bench-cli.ts). `--no-cli` skips it, `--only-cli` runs nothing else; `--cli-photos N`, `--cli-runs N` (default 2).
 *   `--cli-real-size`: with a real-size synthetic Full package instead (4 photos, 1 run: minutes per image on CPU).
 * - export: runs tools/export/bench.ts when that file exists (`--export`), otherwise says it is skipped.
 * - real-size (`--real-size`): tools/export/bench.ts with its inference part: a real-size synthetic Full checkpoint
 *   (~1.7 GiB, deleted after) exported and run cold in fresh processes — peak RSS with detection only / default /
 *   all tasks, session runs per image, time outside session.run (issue 10's targets).
 *
 * The project's target is "everything but session.run ≤ 20 % of the detection frame time on WASM"; Node's CPU
 * run is faster than ORT-web WASM (~0.5 vs ~2.7 ms for the 128 model, docs/environment.md §2), so the Node share is a
 * pessimistic bound for the browser.
 */
import { escapeLinesForTerminal } from './terminal-text.ts';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { RgbaImage } from '../../src/core/types.ts';
import { createFaceDetector, type BlazeFaceModel } from '../../src/pipeline/detector.ts';
import {
  createNodeBackend,
  loadBlazeFaceModels,
  loadImageFile,
  loadFaceptorFolder,
  REPO_ROOT,
} from '../node-host/index.ts';
import { exportGoldenFixture } from '../node-host/testing/golden-package.ts';
import type { TaskRequest } from '../../src/options.ts';
import { TASKS, TASK_NAMES, type TaskName } from '../../src/core/faceptor/tasks.ts';
import { browserFaceptorBench } from '../../e2e/bench/browser-faceptor.ts';
import { cliThroughputBench } from './bench-cli.ts';
import { writeRealSizeCheckpoint } from '../export/precision-check.ts';
import { exportPackage } from '../export/package/export.ts';
import { headOptionsFromManifest } from '../export/plan/index.ts';

const FACES = join(REPO_ROOT, '..', 'shared', 'faces');
const PHOTOS = ['astronaut.png', 'camera.png', 'grace_hopper.jpg'];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface Row {
  readonly section: string;
  readonly case: string;
  readonly [metric: string]: string | number;
}
interface Section {
  readonly name: string;
  run(iterations: number): Promise<Row[]>;
}

/** A 1280×720 "webcam frame": the photo scaled (nearest) to 720 px high, centred on grey. */
function hdFrame(photo: RgbaImage): RgbaImage {
  const W = 1280,
    H = 720;
  const data = new Uint8Array(W * H * 4).fill(96);
  const s = H / photo.height,
    w = Math.round(photo.width * s),
    ox = (W - w) >> 1;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < w; x++) {
      const si =
        (Math.min(photo.height - 1, Math.floor(y / s)) * photo.width + Math.min(photo.width - 1, Math.floor(x / s))) *
        4;
      data.set(photo.data.subarray(si, si + 4), (y * W + ox + x) * 4);
    }
  return { width: W, height: H, data };
}

const detection: Section = {
  name: 'detection',
  async run(iterations) {
    let lastRun = 0;
    const backend = createNodeBackend({
      onRun: (ms) => {
        lastRun = ms;
      },
    });
    const detector = await createFaceDetector(backend, await loadBlazeFaceModels());
    const rows: Row[] = [];
    const cases: { name: string; image: RgbaImage; decodeMs?: number }[] = [];
    for (const file of PHOTOS) {
      const decodes: number[] = [];
      let image: RgbaImage | undefined;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        image = await loadImageFile(join(FACES, file));
        decodes.push(performance.now() - t0);
      }
      cases.push({ name: file, image: image!, decodeMs: median(decodes) });
    }
    cases.push({ name: '1280x720 frame', image: hdFrame(cases[0].image) });
    for (const model of ['front', 'back'] as BlazeFaceModel[]) {
      for (const c of cases) {
        const runs: number[] = [],
          others: number[] = [],
          pre: number[] = [],
          post: number[] = [];
        for (let i = 0; i < iterations + 10; i++) {
          const t0 = performance.now();
          const r = await detector.detect(c.image, { detector: model });
          const total = performance.now() - t0;
          if (i < 10) continue; // warm-up: JIT and ORT's first-run allocations
          runs.push(lastRun);
          others.push(total - lastRun);
          pre.push(r.timings.preprocessMs);
          post.push(r.timings.postprocessMs);
        }
        const run = median(runs),
          other = median(others);
        rows.push({
          section: 'detection',
          case: `${model} ${c.name}`,
          'run ms': run,
          'other ms': other,
          'other share %': (100 * other) / (run + other),
          'preprocess ms': median(pre),
          'postprocess ms': median(post),
          ...(c.decodeMs !== undefined ? { 'file decode ms': c.decodeMs } : {}),
        });
      }
    }
    await detector.release();
    return rows;
  },
};

/** Faceptor stages over a whole frame; `modelDir` undefined → export the golden Full fixture to a temp folder. */
function faceptorSection(modelDir: string | undefined, iterations: number, warmup: number): Section {
  return {
    name: 'faceptor',
    async run() {
      const fixture = modelDir ? undefined : await exportGoldenFixture('faceptor_full');
      let bare = 0;
      const backend = createNodeBackend({
        onRun: (ms) => {
          bare += ms;
        },
      });
      const detector = await createFaceDetector(backend, await loadBlazeFaceModels());
      const model = await loadFaceptorFolder(modelDir ?? fixture!.dir, backend);
      const image = await loadImageFile(join(FACES, 'grace_hopper.jpg'));
      const sparse = TASK_NAMES.filter((t) => TASKS[t].group === 112 && model.tasks.includes(t));
      const cases: { name: string; tasks: TaskRequest }[] = [
        { name: `default (${model.resolveTasks('default').length} tasks)`, tasks: 'default' },
        { name: `all (${model.tasks.length} tasks)`, tasks: 'all' },
        { name: 'no parsing/landmarks (default 112 heads)', tasks: ['identity', 'age', 'expression', 'attributes'] },
        { name: '1 task of group 112 (age)', tasks: ['age'] },
        { name: `all ${sparse.length} tasks of group 112`, tasks: sparse },
      ];
      const rows: Row[] = [];
      const perTask = new Map<TaskName, number[]>();
      try {
        for (const c of cases) {
          const m: Record<string, number[]> = {
            detect: [],
            align: [],
            enc112: [],
            enc512: [],
            tasks: [],
            decode: [],
            total: [],
            bare: [],
            readBack: [],
          };
          let runs = { encoder112: 0, encoder512: 0, taskRuns: 0, sessionRuns: 0 };
          for (let i = 0; i < iterations + warmup; i++) {
            bare = 0;
            const t0 = performance.now();
            const det = await detector.detect(image);
            const t1 = performance.now();
            const r = await model.analyzeFaces(image, det.faces, { tasks: c.tasks });
            const total = performance.now() - t0;
            if (i < warmup) continue; // warm-up: lazy session creation, JIT, first-run allocations
            const t = r.timings;
            m.detect.push(t1 - t0);
            m.align.push(t.alignMs);
            m.enc112.push(t.encoder112Ms);
            m.enc512.push(t.encoder512Ms);
            m.tasks.push(Object.values(t.taskMs).reduce((a, b) => a + (b ?? 0), 0));
            m.decode.push(t.decodeMs);
            m.total.push(total);
            m.bare.push(bare);
            m.readBack.push(t.readBackBytes);
            if (c.tasks === 'all')
              for (const [k, v] of Object.entries(t.taskMs) as [TaskName, number][])
                perTask.set(k, [...(perTask.get(k) ?? []), v]);
            runs = {
              encoder112: r.runs.encoder112,
              encoder512: r.runs.encoder512,
              taskRuns: Object.values(r.runs.tasks).reduce((a, b) => a + (b ?? 0), 0),
              sessionRuns: Object.values(r.timings.runs).reduce((a, b) => a + b, 0),
            };
          }
          const shares = m.total.map((tot, k) => (100 * (tot - m.bare[k])) / tot);
          rows.push({
            section: 'faceptor',
            case: c.name,
            'detect ms': median(m.detect),
            'align ms': median(m.align),
            'enc112 ms': median(m.enc112),
            'enc512 ms': median(m.enc512),
            'task graphs ms': median(m.tasks),
            'decode ms': median(m.decode),
            'frame ms': median(m.total),
            'not session.run %': median(shares),
            'read back KiB': median(m.readBack) / 1024,
            'enc112 runs': runs.encoder112,
            'enc512 runs': runs.encoder512,
            'tasks computed': runs.taskRuns,
            'session runs': runs.sessionRuns,
          });
        }
        for (const [task, ms] of perTask)
          rows.push({ section: 'faceptor', case: `  task graph ${task} (all)`, 'task graphs ms': median(ms) });
      } finally {
        await model.release();
        await detector.release();
        await fixture?.cleanup();
      }
      return rows;
    },
  };
}

function browserSection(modelDir: string | undefined, iterations: number, warmup: number): Section {
  return {
    name: 'browser',
    async run() {
      const rows = await browserFaceptorBench({ iterations, warmup, modelDir });
      return rows.map((r) => ({ section: 'browser', ...r }));
    },
  };
}

/**
 * WASM threads (issue 11): the default-heads frame in the app on `?threads=1` and on the app's default
 * (min(cores, 4) threads, the page being cross-origin isolated); the last row gives the speed-ups.
 * Target: the 512 encoder ≥ 1.6× faster on 2 threads. Meaningful at real size: `--model <real-size package>`.
 */
function threadsSection(modelDir: string | undefined, iterations: number, warmup: number): Section {
  return {
    name: 'wasm threads',
    async run() {
      const rows = await browserFaceptorBench({
        iterations,
        warmup,
        modelDir,
        threads: [1, null],
        cases: ['default heads (6 tasks)'],
      });
      const [one, many] = rows;
      const ratio = (k: string) => Number(one[k]) / Number(many[k]);
      return [
        ...rows.map((r) => ({ section: 'wasm threads', ...r })),
        {
          section: 'wasm threads',
          case: `speed-up ${many['wasm threads']} vs 1 thread (target enc512 ≥ 1.6×)`,
          'enc512 ms': ratio('enc512 ms'),
          'enc112 ms': ratio('enc112 ms'),
          'task graphs ms': ratio('task graphs ms'),
          'frame ms': ratio('frame ms'),
        },
      ];
    },
  };
}

/**
 * `analyze --workers 1` vs `--workers 2` over a folder (bench-cli.ts). The model: `--model`, else (`realSize`) a
 * real-size synthetic Full checkpoint exported here (fp32; the checkpoint is deleted once exported, the package after
 * the runs) — what the memory of N workers is at real size —, else the golden Full fixture.
 */
function cliSection(modelDir: string | undefined, photos: number, runs: number, realSize: boolean): Section {
  return {
    name: 'cli throughput',
    async run() {
      let dir = modelDir,
        cleanup = async () => undefined as unknown;
      if (!dir && realSize) {
        const work = mkdtempSync(join(tmpdir(), 'faceptor-cli-real-size-'));
        cleanup = async () => rmSync(work, { recursive: true, force: true });
        const golden = join(REPO_ROOT, '..', 'shared', 'golden', 'faceptor_full');
        const ckpt = join(work, 'checkpoint_rank0_iter_50000.pth.tar');
        process.stderr.write(`writing a real-size Full checkpoint in ${work} and exporting it (fp32) …\n`);
        writeRealSizeCheckpoint(golden, ckpt);
        dir = join(work, 'pkg');
        await exportPackage(ckpt, dir, {
          ...headOptionsFromManifest(JSON.parse(readFileSync(join(golden, 'manifest.json'), 'utf8'))),
          label: 'real-size — random weights',
          untrained: true,
        });
        rmSync(ckpt);
      } else if (!dir) {
        const fixture = await exportGoldenFixture('faceptor_full');
        dir = fixture.dir;
        cleanup = fixture.cleanup;
      }
      try {
        const rows = await cliThroughputBench({
          repoRoot: REPO_ROOT,
          facesDir: FACES,
          modelDir: dir,
          photos,
          runs,
          workers: [1, 2],
        });
        return rows.map((r) => ({ section: 'cli throughput', ...r }) as Row);
      } finally {
        await cleanup();
      }
    },
  };
}

/** tools/export/bench.ts: real-size export, and with `inference` the real-size cold runs (RSS, runs, outside session.run). */
function exporter(inference: boolean): Section {
  return {
    name: inference ? 'real-size' : 'export',
    async run() {
      const script = join(REPO_ROOT, 'tools', 'export', 'bench.ts');
      if (!existsSync(script)) return [{ section: 'export', case: 'skipped (tools/export/bench.ts not present)' }];
      const r = spawnSync(
        join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
        [script, ...(inference ? [] : ['--no-inference'])],
        { cwd: REPO_ROOT, stdio: 'inherit' },
      );
      return [{ section: 'export', case: `tools/export/bench.ts exited ${r.status}` }];
    },
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      'Usage: npm run bench [-- --iterations N] [--faceptor-iterations N] [--faceptor-warmup N] [--model <package dir>] [--no-faceptor] [--no-browser] [--no-threads] [--only-threads] [--no-cli] [--only-cli] [--cli-photos N] [--cli-runs N] [--cli-real-size] [--export] [--real-size]\n',
    );
    return 0;
  }
  const i = argv.indexOf('--iterations');
  const iterations = i >= 0 ? Number(argv[i + 1]) : 100;
  if (!(Number.isInteger(iterations) && iterations > 0)) {
    process.stderr.write('bench: --iterations needs a positive integer\n');
    return 2;
  }
  const fi = argv.indexOf('--faceptor-iterations');
  const faceptorIterations = fi >= 0 ? Number(argv[fi + 1]) : 10;
  if (!(Number.isInteger(faceptorIterations) && faceptorIterations > 0)) {
    process.stderr.write('bench: --faceptor-iterations needs a positive integer\n');
    return 2;
  }
  const wi = argv.indexOf('--faceptor-warmup');
  const warmup = wi >= 0 ? Number(argv[wi + 1]) : 3;
  if (!(Number.isInteger(warmup) && warmup >= 1)) {
    process.stderr.write('bench: --faceptor-warmup needs an integer ≥ 1 (the first frame opens the sessions)\n');
    return 2;
  }
  const mi = argv.indexOf('--model');
  const modelDir = mi >= 0 ? argv[mi + 1] : undefined;
  const count = (flag: string, fallback: number) => {
    const k = argv.indexOf(flag);
    return k >= 0 ? Number(argv[k + 1]) : fallback;
  };
  const cliRealSize = argv.includes('--cli-real-size');
  const cliPhotos = count('--cli-photos', cliRealSize ? 4 : 40),
    cliRuns = count('--cli-runs', cliRealSize ? 1 : 2);
  if (![cliPhotos, cliRuns].every((v) => Number.isInteger(v) && v > 0)) {
    process.stderr.write('bench: --cli-photos and --cli-runs need positive integers\n');
    return 2;
  }
  const cli = cliSection(modelDir, cliPhotos, cliRuns, cliRealSize);
  const sections = argv.includes('--only-threads')
    ? [threadsSection(modelDir, faceptorIterations, warmup)]
    : argv.includes('--only-cli')
      ? [cli]
      : [
          detection,
          ...(argv.includes('--no-faceptor') ? [] : [faceptorSection(modelDir, faceptorIterations, warmup)]),
          ...(argv.includes('--no-faceptor') || argv.includes('--no-browser')
            ? []
            : [browserSection(modelDir, faceptorIterations, warmup)]),
          ...(argv.includes('--no-faceptor') || argv.includes('--no-browser') || argv.includes('--no-threads')
            ? []
            : [threadsSection(modelDir, faceptorIterations, warmup)]),
          ...(argv.includes('--no-cli') ? [] : [cli]),
          ...(argv.includes('--export') || argv.includes('--real-size')
            ? [exporter(argv.includes('--real-size'))]
            : []),
        ];
  for (const section of sections) {
    const rows = await section.run(iterations);
    const what =
      section.name === 'cli throughput'
        ? `${cliPhotos} photos, ${cliRuns} run(s) per worker count`
        : `${section.name === 'detection' ? iterations : faceptorIterations} iterations, medians`;
    process.stdout.write(`\n== ${section.name} (${what}) ==\n`);
    console.table(
      rows.map(({ section: _s, ...r }) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(3)) : v])),
      ),
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bench: ${escapeLinesForTerminal(String(err instanceof Error ? err.stack : err))}\n`);
    process.exitCode = 1;
  },
);
