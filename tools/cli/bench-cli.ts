/**
 * Bench section "cli throughput" (issue 15 item 5): `analyze <folder> --workers N` on a folder of photos built from
 * ../shared/faces, timed by the CLI itself (its closing line: images, seconds and images/s from the moment every
 * worker's session is open to the last line written, so the start-up — tsx, model verification — is left out), run
 * for each worker count in turn, `runs` times, alternating so a change in the machine's load hits both alike.
 * Reports the median images/s per worker count and the speed-up over one worker (target: 2 workers ≥ 1.7× on a
 * 2-core machine), with the load average at each run's start (a shared machine cannot give a second core it does
 * not have free), the CPU seconds per image (the CLI's own count, all threads), which shows whether N workers
 * cost more work per image than one whatever the load, and the cores the run actually got (CPU s / wall s).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/**
 * How the CLI is started (package.json's `analyze` script, examples/k8s/Dockerfile): V8's garbage collector on the
 * thread that allocates. Its parallel and concurrent helper threads only pay off with idle cores; an analysing CLI
 * keeps its cores busy (one session thread per worker), so they competed with the workers and cost CPU in
 * synchronisation — measured, 40 photos, interleaved: 17.4–19.6 CPU s with 2 workers against 18.8–21.3 without, and
 * 17.9–18.6 against 18.7–19.8 with 1 worker.
 */
export const CLI_NODE_FLAGS = ['--single-threaded-gc'];

export interface CliBenchOptions {
  readonly repoRoot: string;
  readonly facesDir: string;
  /** Model package for the tasks (the bench passes the golden Full fixture, or `--model`). */
  readonly modelDir?: string;
  readonly photos: number;
  readonly runs: number;
  readonly workers: readonly number[];
}

export type CliBenchRow = Record<string, string | number>;

/**
 * `count` distinct photos: each shared face photo resized (600–1400 px wide, so the larger ones also get the tiled
 * detector pass), mirrored every other time, re-encoded as JPEG or PNG.
 */
export async function buildPhotos(facesDir: string, count: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'faceptor-cli-bench-'));
  const faces = readdirSync(facesDir)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort();
  for (let i = 0; i < count; i++) {
    const width = 600 + 100 * (i % 9);
    let img = sharp(join(facesDir, faces[i % faces.length])).resize({ width });
    if (i % 2) img = img.flop();
    const name = `photo-${String(i).padStart(3, '0')}`;
    await (i % 3 === 2
      ? img.png().toFile(join(dir, `${name}.png`))
      : img.jpeg({ quality: 90 }).toFile(join(dir, `${name}.jpg`)));
  }
  return dir;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function cliThroughputBench(o: CliBenchOptions): Promise<CliBenchRow[]> {
  const photos = await buildPhotos(o.facesDir, o.photos);
  const out = mkdtempSync(join(tmpdir(), 'faceptor-cli-bench-out-'));
  const rows: CliBenchRow[] = [];
  const rates = new Map<number, number[]>();
  // CPU seconds per image: if N workers cost no more CPU per image than one, the speed-up on N free cores is ~N×;
  // on a machine whose cores are taken by others the wall-clock ratio cannot show it, this column still can
  const cpu = new Map<number, number[]>();
  try {
    for (let run = 0; run < o.runs; run++) {
      for (const workers of o.workers) {
        const load = loadavg()[0];
        const t0 = performance.now();
        const r = spawnSync(
          process.execPath,
          [
            ...CLI_NODE_FLAGS,
            '--import',
            'tsx',
            'tools/cli/analyze.ts',
            photos,
            '--jsonl',
            join(out, `w${workers}-r${run}.jsonl`),
            '--workers',
            String(workers),
            ...(o.modelDir ? ['--model', o.modelDir] : []),
          ],
          { cwd: o.repoRoot, encoding: 'utf8' },
        );
        const wall = (performance.now() - t0) / 1000;
        const m =
          /(\d+) image\(s\) in ([\d.]+) s \(([\d.]+) images\/s, [^,]+, ([\d.]+) CPU s, peak RSS (\d+) MiB\)/.exec(
            r.stderr,
          );
        if (r.status !== 0 || !m)
          throw new Error(`analyze --workers ${workers} exited ${r.status}: ${r.stderr.slice(-2000)}`);
        rates.set(workers, [...(rates.get(workers) ?? []), Number(m[3])]);
        const cpuPerImage = Number(m[4]) / Number(m[1]);
        cpu.set(workers, [...(cpu.get(workers) ?? []), cpuPerImage]);
        rows.push({
          case: `run ${run + 1}: --workers ${workers}`,
          images: Number(m[1]),
          'analysis s': Number(m[2]),
          'images/s': Number(m[3]),
          'CPU s per image': cpuPerImage,
          // CPU seconds per wall second: how many cores the run actually got (2 workers on 2 free cores: ~2)
          'cores used': (cpuPerImage * Number(m[1])) / Number(m[2]),
          'peak RSS MiB': Number(m[5]),
          'process wall s': wall,
          'load avg (1 min) at start': load,
        });
      }
    }
    const base = median(rates.get(o.workers[0]) ?? [NaN]);
    for (const w of o.workers) {
      const rate = median(rates.get(w)!);
      rows.push({
        case: `median --workers ${w}`,
        'images/s': rate,
        'CPU s per image': median(cpu.get(w)!),
        [`speed-up vs ${o.workers[0]}`]: rate / base,
        ...(w === 2 && o.workers[0] === 1 ? { target: '≥ 1.7× on 2 cores' } : {}),
      });
    }
    rows.push({ case: `machine: ${cpus().length} cores` });
  } finally {
    rmSync(photos, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
  return rows;
}
