/**
 * `npx tsx e2e/bench/browser-export-bench.ts [--precision fp16] [--variant faceptor_full]` (after `npm run build`):
 * the in-browser exporter against the CLI's at real size (issue 13's targets: browser time ≤ 1.5 × Node's measured
 * in the same run; peak renderer+worker memory ≤ 1.5 × the package size).
 *
 * A real-size synthetic checkpoint (every key and shape of full_size_keys.json, AdamW optimizer state: ~1.8 GB) is
 * generated into a temp folder; the CLI's export runs in a child process (tools/export/bench.ts --child: wall time,
 * peak RSS); then the page exports the same file (given to the file picker: a disk-backed File, read by slices)
 * while the resident memory of Chromium's renderer processes (the page and its workers) is sampled every 250 ms.
 * A benchmark, not a test: it prints numbers and never fails on them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { writeTorchCheckpoint, type TensorSpec } from '../../tools/export/testing/torch-writer.ts';
import { launch, openPage, waitForEngine } from '../support/browser.ts';
import { tempDir } from '../support/fixtures.ts';
import { REPO_ROOT, SHARED } from '../support/paths.ts';
import { startPreview } from '../support/preview.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

/** Summed RSS (bytes) of Chromium's renderer processes (the page and its dedicated workers live there). */
function rendererRss(): number {
  const out = execFileSync('ps', ['-eo', 'rss=,args='], { encoding: 'utf8', maxBuffer: 16 << 20 });
  let kb = 0;
  for (const line of out.split('\n'))
    if (/chrom/.test(line) && line.includes('--type=renderer')) kb += Number(line.trim().split(/\s+/)[0]) || 0;
  return kb * 1024;
}

/**
 * CPU seconds, which the load of this shared machine disturbs much less than wall time: the CLI child's (this
 * process's waited-for children, /proc/self/stat cutime+cstime) and every thread of the Chromium this bench
 * launched (its process tree under this process), by thread, so the two workers of the export can be told apart.
 */
const TICK = 100; // USER_HZ: clock ticks per second in /proc (100 on Linux)
function statFields(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [
    text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
    ...text.slice(text.lastIndexOf(')') + 2).split(' '),
  ];
}
function childrenCpu(): number {
  const f = statFields('/proc/self/stat'); // [comm, state(3), …]: field n is at index n − 2
  return (Number(f[14]) + Number(f[15])) / TICK;
}
function chromiumThreadCpu(): Map<string, { name: string; seconds: number }> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const tree = new Set<number>([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of rows)
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
  }
  tree.delete(process.pid);
  const out = new Map<string, { name: string; seconds: number }>();
  for (const pid of tree) {
    let tids: string[] = [];
    try {
      if (!/chrom/.test(readFileSync(`/proc/${pid}/comm`, 'utf8'))) continue;
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const f = statFields(`/proc/${pid}/task/${tid}/stat`);
        out.set(`${pid}/${tid}`, { name: f[0]!, seconds: (Number(f[12]) + Number(f[13])) / TICK });
      } catch {
        /* the thread ended */
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const precision = arg('precision', 'fp16');
  const variant = arg('variant', 'faceptor_full');
  const info = JSON.parse(readFileSync(join(SHARED, 'golden', variant, 'full_size_keys.json'), 'utf8')) as {
    keys: { key: string; shape: number[]; dtype: string; category: string }[];
  };
  const tmp = tempDir('faceptor-export-bench-');
  const server = await startPreview();
  try {
    const ckpt = join(tmp.dir, 'checkpoint_rank0_iter_50000.pth.tar');
    const specs: TensorSpec[] = info.keys.map((k) => {
      if (k.category.startsWith('alias_of:'))
        return { key: k.key, shape: k.shape, aliasOf: k.category.slice('alias_of:'.length) };
      if (k.key.endsWith('.running_var'))
        return { key: k.key, shape: k.shape, data: new Float32Array(k.shape.reduce((x, y) => x * y, 1)).fill(1) };
      return { key: k.key, shape: k.shape, dtype: k.dtype === 'int64' ? 'int64' : 'float32' };
    });
    const size = writeTorchCheckpoint(ckpt, {
      tensors: specs,
      optimizer: 'adamw',
      folder: 'checkpoint_rank0_iter_50000.pth',
    });
    console.log(`checkpoint  ${mb(size)} (${variant}, synthetic, AdamW state)`);

    const cpuBefore = childrenCpu();
    const node = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        resolve(REPO_ROOT, 'tools/export/bench.ts'),
        '--child',
        ckpt,
        join(tmp.dir, 'cli'),
        precision,
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    if (node.status !== 0) throw new Error(`CLI export failed: ${node.stderr}`);
    const cli = JSON.parse(node.stdout.trim().split('\n').pop()!) as {
      seconds: number;
      maxRssBytes: number;
      manifest: { files: { path: string; size: number; sha256: string }[]; provenance: { sourceSha256: string } };
    };
    const nodeCpu = childrenCpu() - cpuBefore;
    const pkg = cli.manifest.files.reduce((s, f) => s + f.size, 0);
    console.log(
      `node        ${cli.seconds.toFixed(1)} s (CPU ${nodeCpu.toFixed(1)} s, the child process), peak RSS ${mb(cli.maxRssBytes)}; package ${mb(pkg)} (${precision})`,
    );

    const browser = await launch();
    try {
      const { page, problems } = await openPage(await browser.newContext(), `${server.url}?ep=wasm`);
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') process.stderr.write(`page: ${m.text()}\n`);
      });
      const engine = await waitForEngine(page);
      if (engine.error) throw new Error(engine.error);
      process.stderr.write(`engine ready (${engine.status?.provider}); exporting…\n`);
      // The options sit in folded <details> (the model panel keeps the camera in view).
      await page.evaluate(() =>
        document.querySelectorAll('details').forEach((d) => {
          d.open = true;
        }),
      );
      await page.selectOption('[data-testid="ckpt-precision"]', precision);
      const idle = rendererRss();
      let peak = idle;
      const t0 = performance.now();
      const phases: Record<string, number> = {};
      const phasePeak: Record<string, number> = {};
      let phase = 'start';
      // Progress every 5 s, and a stall watchdog: two early runs stopped with no trace. If the progress element
      // does not change for STALL_S the run fails with where it stood (phase, bytes, page problems, console).
      const STALL_S = 90;
      let lastState = '';
      let lastChange = performance.now();
      let lastLog = 0;
      let stallFail: (e: Error) => void = () => undefined;
      const stalled = new Promise<never>((_, reject) => {
        stallFail = reject;
      });
      const sampler = setInterval(() => {
        const rss = rendererRss();
        peak = Math.max(peak, rss);
        phasePeak[phase] = Math.max(phasePeak[phase] ?? 0, rss);
        void page
          .evaluate(() => {
            const e = document.querySelector('[data-testid="ckpt-progress"]');
            const h = document.querySelector('[data-testid="ckpt-provenance"][data-state="hashing"]');
            return e
              ? `${e.getAttribute('data-phase')} ${e.getAttribute('data-done')}/${e.getAttribute('data-total')}`
              : h
                ? `hashing ${h.getAttribute('data-done')}/${h.getAttribute('data-total')}`
                : (document
                    .querySelector('[data-testid="ckpt-done"], [data-testid="ckpt-error"]')
                    ?.getAttribute('data-testid') ?? 'no progress element');
          })
          .then(
            (state) => {
              const now = performance.now();
              const ph = state.split(' ')[0]!;
              if (['reading', 'converting', 'storing', 'hashing'].includes(ph)) {
                if (!(ph in phases)) phases[ph] = (now - t0) / 1000;
                phase = ph;
              }
              if (state !== lastState) {
                lastState = state;
                lastChange = now;
              }
              if (now - lastLog > 5000) {
                lastLog = now;
                process.stderr.write(
                  `  ${((now - t0) / 1000).toFixed(0)} s: ${state} (load ${loadavg()[0]!.toFixed(1)})\n`,
                );
              }
              if (now - lastChange > STALL_S * 1000)
                stallFail(
                  new Error(
                    `export stalled: no progress for ${STALL_S} s at "${state}" (${((now - t0) / 1000).toFixed(0)} s in); page problems: ${problems.join('; ') || 'none'}`,
                  ),
                );
            },
            () => undefined,
          );
      }, 250);
      // Threads are sampled during the export too: the export's workers end with it, and a thread that ended is
      // gone from /proc (its time stays in its process's total, not under its name).
      const threadsBefore = chromiumThreadCpu();
      const threadsSeen = new Map(threadsBefore);
      const processCpu = () => {
        let total = 0;
        for (const pid of new Set([...chromiumThreadCpu().keys()].map((k) => k.split('/')[0]))) {
          try {
            const f = statFields(`/proc/${pid}/stat`);
            total += (Number(f[12]) + Number(f[13])) / TICK;
          } catch {
            /* ended */
          }
        }
        return total;
      };
      const cpuAtStart = processCpu();
      const threadSampler = setInterval(() => {
        for (const [k, v] of chromiumThreadCpu()) threadsSeen.set(k, v);
      }, 1000);
      await page.setInputFiles('[data-testid="ckpt-pick"]', ckpt);
      // Two ends: the package stored (usable: issue 13's target), then the checkpoint's sha256 recorded after it.
      const done = await Promise.race([
        page.waitForSelector('[data-testid="ckpt-done"], [data-testid="ckpt-error"]', {
          state: 'attached',
          timeout: 1_800_000,
        }),
        stalled,
      ]).catch((e: unknown) => {
        clearInterval(sampler);
        throw e;
      });
      const seconds = (performance.now() - t0) / 1000;
      const storedPeak = peak;
      const provenanceEl =
        (await done.getAttribute('data-testid')) === 'ckpt-done'
          ? await Promise.race([
              page.waitForSelector(
                '[data-testid="ckpt-provenance"][data-state="recorded"], [data-testid="ckpt-provenance"][data-state="failed"]',
                { state: 'attached', timeout: 1_800_000 },
              ),
              stalled,
            ]).finally(() => clearInterval(sampler))
          : (clearInterval(sampler), null);
      const provenanceSeconds = (performance.now() - t0) / 1000;
      clearInterval(threadSampler);
      for (const [k, v] of chromiumThreadCpu()) threadsSeen.set(k, v);
      const threadCpu = [...threadsSeen]
        .map(([k, v]) => ({ name: v.name, seconds: v.seconds - (threadsBefore.get(k)?.seconds ?? 0) }))
        .filter((t) => t.seconds > 0.05)
        .sort((a, b) => b.seconds - a.seconds);
      // Processes' totals (they include ended threads); processes that ended during the export are not counted.
      const browserCpu = processCpu() - cpuAtStart;
      if (problems.length) process.stderr.write(`page problems: ${problems.join('; ')}\n`);
      if ((await done.getAttribute('data-testid')) !== 'ckpt-done')
        throw new Error(`browser export failed: ${await done.textContent()}`);
      const stored = await page.evaluate(
        async (id) => {
          const dir = await (
            await (await navigator.storage.getDirectory()).getDirectoryHandle('faceptor-packages')
          ).getDirectoryHandle(id!);
          return JSON.parse(await (await (await dir.getFileHandle('faceptor.json')).getFile()).text()) as {
            files: unknown;
            provenance: { sourceSha256: string };
          };
        },
        await done.getAttribute('data-id'),
      );
      const same =
        JSON.stringify(stored.files) === JSON.stringify(cli.manifest.files) &&
        stored.provenance.sourceSha256 === cli.manifest.provenance.sourceSha256;
      const recordedTimings = JSON.parse((await provenanceEl?.getAttribute('data-timings')) ?? 'null') as Record<
        string,
        number | boolean | object
      > | null;
      const timings =
        recordedTimings ??
        (JSON.parse((await done.getAttribute('data-timings')) ?? '{}') as Record<string, number | boolean | object>);
      console.log(
        `browser     stored (usable) at ${seconds.toFixed(1)} s (${(seconds / cli.seconds).toFixed(2)} × node: issue 13's target); ` +
          `sha256 ${(await provenanceEl?.getAttribute('data-state')) ?? 'not'} at ${provenanceSeconds.toFixed(1)} s (${(provenanceSeconds / cli.seconds).toFixed(2)} × node)`,
      );
      console.log(
        `memory      renderer RSS idle ${mb(idle)}, peak ${mb(peak)} (+${mb(peak - idle)}; ${(peak / pkg).toFixed(2)} × package, ${((peak - idle) / pkg).toFixed(2)} × above idle); up to the stored package +${mb(storedPeak - idle)}`,
      );
      // The page loads the stored model as soon as it is stored, so the peak while hashing also holds that load (the
      // loader's transient: the weights' bytes and the ORT session's copy). What stays above idle once the export's
      // workers have ended is the loaded model's.
      const loadedModel = provenanceEl
        ? await page
            .waitForFunction(
              () =>
                /exported in this browser/.test(
                  document.querySelector('[data-testid="model-provenance"]')?.getAttribute('data-origin') ?? '',
                ),
              null,
              { timeout: 600_000 },
            )
            .then(() => true)
            .catch(() => false)
        : false;
      if (loadedModel) {
        await new Promise((r) => setTimeout(r, 3000));
        let loaded = 0;
        for (let i = 0; i < 4; i++, await new Promise((r) => setTimeout(r, 500)))
          loaded = Math.max(loaded, rendererRss());
        console.log(
          `after       the stored model loaded, the export's workers ended: +${mb(loaded - idle)} above idle (the loaded model); ` +
            "the peak while hashing includes that model's load",
        );
      }
      console.log(
        `peak/phase  ${Object.entries(phasePeak)
          .map(([k, v]) => `${k} +${mb(v - idle)}`)
          .join(', ')}`,
      );
      console.log(
        `phases      started at ${Object.entries(phases)
          .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
          .join(', ')}; stored ${seconds.toFixed(1)} s; sha256 recorded ${provenanceSeconds.toFixed(1)} s`,
      );
      const sec = (k: string) => `${(Number(timings[k] ?? 0) / 1000).toFixed(1)} s`;
      // With the writer worker the package's writes and hash run on its thread, beside the conversion: not part of it.
      const beside = Boolean(timings.writerThread);
      const inner =
        Number(timings.convertMs ?? 0) -
        (beside ? ['readMs'] : ['readMs', 'writeMs', 'outputHashMs']).reduce((a, k) => a + Number(timings[k] ?? 0), 0);
      const files = `OPFS writes ${sec('writeMs')}, output sha256 ${sec('outputHashMs')}`;
      console.log(
        `worker      stored ${sec('storedMs')}, sha256 recorded ${sec('provenanceMs')}: open ${sec('openMs')}, convert ${sec('convertMs')} (awaiting slices ${sec('readMs')}, ` +
          `${beside ? '' : `${files}, `}parse/CRC/fp16/graphs${beside ? ' and posting the bytes' : ''} ${(inner / 1000).toFixed(1)} s${beside ? `; writer thread beside it: ${files}` : ''}), ` +
          `commit ${sec('commitMs')}; checkpoint sha256 ${sec('sourceHashMs')} (${timings.concurrentHash ? 'own worker, beside conversion' : 'after the commit'}; ${sec('sourceHashWaitMs')} after the commit), manifest rewrite ${sec('recordMs')}`,
      );
      const ra = timings.readAhead as Record<string, number> | null | undefined;
      console.log(
        `read-ahead  ${ra ? `${ra.started} records read ahead, ${ra.taken} taken, ${ra.rereads} re-read from the recent small records, ${ra.missed} read directly (asked for again, or before they were started); at most ${mb(ra.peakBytes!)} / ${ra.peakReads} slices outstanding` : 'none'}`,
      );
      console.log(
        `cpu         browser ${browserCpu.toFixed(1)} s in all (${(browserCpu / nodeCpu).toFixed(2)} × node's ${nodeCpu.toFixed(1)} s); busiest threads: ${threadCpu
          .slice(0, 5)
          .map((t) => `${t.name} ${t.seconds.toFixed(1)} s`)
          .join(', ')} — on an idle machine with a core per busy thread, wall time ≈ the busiest thread`,
      );
      console.log(`load        ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
      console.log(
        `bytes       ${same ? 'identical to the CLI export (every file size and sha256, and the checkpoint sha256)' : 'DIFFERENT from the CLI export'}`,
      );
    } finally {
      await browser.close();
    }
  } finally {
    await server.stop();
    tmp.remove();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
