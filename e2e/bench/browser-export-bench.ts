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
import { readFileSync } from 'node:fs';
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
      manifest: { files: { path: string; size: number; sha256: string }[] };
    };
    const pkg = cli.manifest.files.reduce((s, f) => s + f.size, 0);
    console.log(
      `node        ${cli.seconds.toFixed(1)} s, peak RSS ${mb(cli.maxRssBytes)}; package ${mb(pkg)} (${precision})`,
    );

    const browser = await launch();
    try {
      const { page, problems } = await openPage(await browser.newContext(), `${server.url}?ep=wasm`);
      page.on('console', (m) => {
        if (m.type() === 'error') process.stderr.write(`page: ${m.text()}\n`);
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
      const sampler = setInterval(() => {
        const rss = rendererRss();
        peak = Math.max(peak, rss);
        phasePeak[phase] = Math.max(phasePeak[phase] ?? 0, rss);
        if (Math.round((performance.now() - t0) / 250) % 20 === 0) {
          void page
            .evaluate(() => {
              const e = document.querySelector('[data-testid="ckpt-progress"]');
              return e
                ? `${e.getAttribute('data-phase')} ${e.getAttribute('data-done')}/${e.getAttribute('data-total')}`
                : 'no progress element';
            })
            .then(
              (t) => process.stderr.write(`  ${((performance.now() - t0) / 1000).toFixed(0)} s: ${t}\n`),
              () => undefined,
            );
        }
        void page.getAttribute('[data-testid="ckpt-progress"]', 'data-phase', { timeout: 200 }).then(
          (ph) => {
            if (ph && !(ph in phases)) phases[ph] = (performance.now() - t0) / 1000;
            if (ph) phase = ph;
          },
          () => undefined,
        );
      }, 250);
      await page.setInputFiles('[data-testid="ckpt-pick"]', ckpt);
      const done = await page.waitForSelector('[data-testid="ckpt-done"], [data-testid="ckpt-error"]', {
        state: 'attached',
        timeout: 1_800_000,
      });
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      if (problems.length) process.stderr.write(`page problems: ${problems.join('; ')}\n`);
      if ((await done.getAttribute('data-testid')) !== 'ckpt-done')
        throw new Error(`browser export failed: ${await done.textContent()}`);
      const files = await page.evaluate(
        async (id) => {
          const dir = await (
            await (await navigator.storage.getDirectory()).getDirectoryHandle('faceptor-packages')
          ).getDirectoryHandle(id!);
          return JSON.parse(await (await (await dir.getFileHandle('faceptor.json')).getFile()).text()).files as unknown;
        },
        await done.getAttribute('data-id'),
      );
      const same = JSON.stringify(files) === JSON.stringify(cli.manifest.files);
      const timings = JSON.parse((await done.getAttribute('data-timings')) ?? '{}') as Record<string, number | boolean>;
      console.log(
        `browser     ${seconds.toFixed(1)} s (${(seconds / cli.seconds).toFixed(2)} × node); renderer RSS idle ${mb(idle)}, peak ${mb(peak)} (+${mb(peak - idle)}; ${(peak / pkg).toFixed(2)} × package, ${((peak - idle) / pkg).toFixed(2)} × above idle)`,
      );
      console.log(
        `peak/phase  ${Object.entries(phasePeak)
          .map(([k, v]) => `${k} +${mb(v - idle)}`)
          .join(', ')}`,
      );
      console.log(
        `phases      started at ${Object.entries(phases)
          .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
          .join(', ')}; done ${seconds.toFixed(1)} s`,
      );
      const sec = (k: string) => `${(Number(timings[k] ?? 0) / 1000).toFixed(1)} s`;
      const inner =
        Number(timings.convertMs ?? 0) -
        ['readMs', 'writeMs', 'outputHashMs'].reduce((a, k) => a + Number(timings[k] ?? 0), 0);
      console.log(
        `worker      total ${sec('totalMs')}: open ${sec('openMs')}, convert ${sec('convertMs')} (awaiting slices ${sec('readMs')}, ` +
          `OPFS writes ${sec('writeMs')}, output sha256 ${sec('outputHashMs')}, parse/CRC/fp16/graphs ${(inner / 1000).toFixed(1)} s), ` +
          `checkpoint sha256 ${sec('sourceHashMs')} (${timings.concurrentHash ? 'own worker, beside conversion' : 'after conversion'}; waited ${sec('sourceHashWaitMs')}), commit ${sec('commitMs')}`,
      );
      console.log(`load        ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
      console.log(
        `bytes       ${same ? 'identical to the CLI export (every file size and sha256)' : 'DIFFERENT from the CLI export'}`,
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
