/**
 * analyze at scale (issue 15 item 5), on real processes with the real BlazeFace detector and the golden Full fixture
 * package: a folder of photos in JSON Lines; N worker threads give exactly the results of one; a run killed with
 * SIGKILL and resumed holds every image exactly once (also when the kill tore the last line); the output refusals;
 * progress on stderr; the ordered runner under the hood.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './analyze.ts';
import { captureIo } from './capture-io.test-util.ts';
import { runOrdered } from './run-ordered.ts';
import { createWorkerPool } from './analyze-pool.ts';
import { entryLine } from './jsonl-output.ts';
import { pathToFileURL } from 'node:url';
import { exportGoldenFixture, type ExportedFixture } from '../node-host/testing/golden-package.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FACES = join(ROOT, '..', 'shared', 'faces');
const PHOTOS = ['astronaut.png', 'camera.png', 'grace_hopper.jpg'];

/** 8 photos in nested folders, plus one file with an image name that is not an image (an error entry). */
function photoFolder(): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'faceptor-scale-'));
  const files: string[] = [];
  for (let i = 0; i < 8; i++) {
    const sub = join(dir, `set-${i % 3}`, i % 2 ? 'odd' : 'even');
    mkdirSync(sub, { recursive: true });
    const name = PHOTOS[i % 3];
    const file = join(sub, `${String(i).padStart(2, '0')}-${name}`);
    copyFileSync(join(FACES, name), file);
    files.push(file);
  }
  writeFileSync(join(dir, 'set-1', 'broken.jpg'), 'not a jpeg');
  files.push(join(dir, 'set-1', 'broken.jpg'));
  return { dir, files };
}

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'tools/cli/analyze.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });

/** Every line parsed (throws on an invalid one); entries without their timings (which differ run to run). */
function readJsonl(path: string): {
  header: Record<string, unknown>;
  entries: Record<string, unknown>[];
  text: string;
} {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const [header, ...entries] = text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l));
  return { header, entries: entries.map(({ timings: _t, ...e }) => e), text };
}

const byFile = (es: Record<string, unknown>[]) => Object.fromEntries(es.map((e) => [e.file as string, e]));

describe('analyze <folder> --jsonl, --workers, --resume', () => {
  let fixture: ExportedFixture;
  let photos: { dir: string; files: string[] };
  let reference: ReturnType<typeof readJsonl>;
  const work = mkdtempSync(join(tmpdir(), 'faceptor-scale-out-'));
  beforeAll(async () => {
    fixture = await exportGoldenFixture('faceptor_full');
    photos = photoFolder();
    // the reference every test compares with: one worker (the main thread), a clean run
    const one = join(work, 'one.jsonl');
    const r1 = cli([photos.dir, '--model', fixture.dir, '--jsonl', one]);
    expect(r1.status, r1.stderr).toBe(0);
    reference = readJsonl(one);
  }, 300_000);
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it('one worker: a header line then one line per image, in folder order; 3 worker threads: the same lines; --json with 2: the same images', () => {
    expect(reference.header).toMatchObject({
      format: 'faceptor-analyze-jsonl',
      version: 1,
      model: { variant: 'full', untrained: true },
    });
    // code-point order of the walk: set-0/even, set-0/odd, set-1/broken.jpg, set-1/even, …
    const order = [...photos.files].sort();
    expect(reference.entries.map((e) => e.file)).toEqual(order);
    expect(reference.entries.find((e) => e.file === photos.files[8])).toEqual({
      file: photos.files[8],
      error: `${photos.files[8]}: not a PNG or JPEG image`,
    });
    for (const e of reference.entries.filter((x) => !('error' in x))) {
      expect(e.faces).toHaveLength(1);
      expect(Object.keys((e.faces as object[])[0])).toEqual([
        'box',
        'score',
        'keypoints',
        'landmarks',
        'parsing',
        'age',
        'expression',
        'attributes',
        'identity',
      ]);
    }
    const three = join(work, 'three.jsonl');
    const r3 = cli([photos.dir, '--model', fixture.dir, '--jsonl', three, '--workers', '3']);
    expect(r3.status, r3.stderr).toBe(0);
    expect(r3.stderr).toMatch(
      /9 image\(s\) in [\d.]+ s \([\d.]+ images\/s, 3 worker threads, [\d.]+ CPU s, peak RSS \d+ MiB\), 1 failed/,
    );
    const parallel = readJsonl(three);
    expect(parallel.header).toEqual(reference.header);
    expect(parallel.entries).toEqual(reference.entries); // same order, same numbers (every session single-threaded)
    // the one-document JSON form with workers: the same images in the same order
    const doc = join(work, 'two.json');
    const r2 = cli([photos.dir, '--model', fixture.dir, '--json', doc, '--workers', '2']);
    expect(r2.status, r2.stderr).toBe(0);
    const json = JSON.parse(readFileSync(doc, 'utf8'));
    expect(json.model).toEqual(reference.header.model);
    expect(json.images.map(({ timings: _t, ...e }: Record<string, unknown>) => e)).toEqual(reference.entries);
  }, 300_000);

  it('killed with SIGKILL mid-run, then --resume: every image exactly once, every line valid — also from a torn last line', async () => {
    const out = join(work, 'killed.jsonl');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'tools/cli/analyze.ts', photos.dir, '--model', fixture.dir, '--jsonl', out, '--workers', '2'],
      { cwd: ROOT },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // >= (not ===): one chunk of stdout may carry several lines
      if ((stdout.match(/face\(s\)/g) ?? []).length >= 3 && !child.killed) child.kill('SIGKILL');
    });
    const [, signal] = await new Promise<[number | null, string | null]>((res) =>
      child.on('close', (c, s) => res([c, s])),
    );
    expect(signal).toBe('SIGKILL');
    const killed = readFileSync(out, 'utf8');
    const linesBefore = killed.split('\n').length - 1;
    expect(linesBefore).toBeGreaterThanOrEqual(1 + 3);
    expect(linesBefore).toBeLessThan(1 + 9);
    // the same file as a kill in the middle of a write leaves it: its last line cut short
    const torn = join(work, 'torn.jsonl');
    writeFileSync(torn, killed);
    const lastLineStart = killed.lastIndexOf('\n', killed.length - 2) + 1;
    truncateSync(torn, lastLineStart + Math.floor((killed.length - lastLineStart) / 2));

    for (const [file, dropped] of [
      [out, 0],
      [torn, 1],
    ] as const) {
      const r = cli([photos.dir, '--model', fixture.dir, '--jsonl', file, '--resume', '--workers', '2']);
      expect(r.status, r.stderr).toBe(0);
      const doneBefore = linesBefore - 1 - dropped;
      expect(r.stderr).toContain(`already done${dropped ? '; dropping a torn last line' : ''}`);
      expect(r.stderr).toContain(`resuming ${file}: ${doneBefore} of 9 image(s) already done`);
      const resumed = readJsonl(file); // throws unless every line is valid JSON
      expect(resumed.header).toEqual(reference.header);
      expect(resumed.entries.map((e) => e.file).sort()).toEqual([...photos.files].sort()); // each exactly once
      expect(byFile(resumed.entries)).toEqual(byFile(reference.entries));
      if (!dropped) continue;
      // resuming a finished file does nothing and changes nothing
      const again = cli([photos.dir, '--model', fixture.dir, '--jsonl', file, '--resume']);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toContain('9 of 9 image(s) already done');
      expect(readFileSync(file, 'utf8')).toBe(resumed.text);
    }
  }, 300_000);
});

describe('--jsonl refuses what it must not touch (checked before any work)', () => {
  const work = mkdtempSync(join(tmpdir(), 'faceptor-scale-refuse-'));
  const grace = join(FACES, 'grace_hopper.jpg');

  it('a file analyze did not write, an earlier run without --resume, or a resume with other settings: exit 1, file untouched', async () => {
    const notes = join(work, 'notes.jsonl');
    writeFileSync(notes, '{"my":"data"}\n');
    let io = captureIo();
    expect(await main([grace, '--jsonl', notes], io)).toBe(1);
    expect(io.stderr.join('')).toContain('not an analyze JSONL file, refusing to touch it');
    expect(readFileSync(notes, 'utf8')).toBe('{"my":"data"}\n');

    const out = join(work, 'run.jsonl');
    expect(await main([grace, '--jsonl', out], captureIo())).toBe(0);
    const written = readFileSync(out, 'utf8');
    io = captureIo();
    expect(await main([grace, '--jsonl', out], io)).toBe(1);
    expect(io.stderr.join('')).toContain('it holds 1 result(s) of an earlier run: add --resume to continue it');
    io = captureIo();
    expect(await main([grace, '--jsonl', out, '--resume', '--min-score', '0.7'], io)).toBe(1);
    expect(io.stderr.join('')).toContain('cannot resume');
    expect(io.stderr.join('')).toContain('minScore null, this run has 0.7');
    io = captureIo();
    expect(await main([grace, '--jsonl', out, '--resume', '--shard', '0/1'], io)).toBe(1);
    // another model (here: a model where there was none) is refused once the model is loaded
    const fixture = await exportGoldenFixture('faceptor_base');
    try {
      io = captureIo();
      expect(await main([grace, '--jsonl', out, '--resume', '--model', fixture.dir], io)).toBe(1);
      expect(io.stderr.join('')).toMatch(/cannot resume .*it was written with no model, this run has golden fixture/);
    } finally {
      await fixture.cleanup();
    }
    expect(readFileSync(out, 'utf8')).toBe(written);
    // a file holding only a header (a run stopped before its first image) is simply written anew
    const headerOnly = join(work, 'header-only.jsonl');
    writeFileSync(
      headerOnly,
      written.slice(0, written.indexOf('\n') + 1).replace('"detector":"auto"', '"detector":"front"'),
    );
    expect(await main([grace, '--jsonl', headerOnly], captureIo())).toBe(0);
    const anew = readFileSync(headerOnly, 'utf8').split('\n');
    expect(anew).toHaveLength(3); // header, one image, and the final newline
    expect(anew[0]).toBe(written.split('\n')[0]);
  }, 120_000);

  it('usage: --resume needs --jsonl; --json with --jsonl; a glob matching nothing; --workers and --shard ranges', async () => {
    for (const [args, why] of [
      [[grace, '--resume'], '--resume needs --jsonl'],
      [[grace, '--json', 'a.json', '--jsonl', 'b.jsonl'], 'cannot both be given'],
      [[join(work, 'none', '*.jpg')], 'no file matches'],
      [[grace, '--workers', '0'], '--workers must be an integer'],
      [[grace, '--shard', '2/2'], '--shard must be i/n'],
    ] as const) {
      const io = captureIo();
      expect(await main([...args], io)).toBe(2);
      expect(io.stderr.join('')).toContain(why);
    }
  });
});

describe('progress on stderr', () => {
  const files = PHOTOS.map((p) => join(FACES, p));

  it('a terminal gets one bar redrawn in place, left as a finished line', async () => {
    const io = captureIo(true);
    expect(await main([...files, '--format', 'jsonl'], io)).toBe(0);
    const err = io.stderr.join('');
    expect(err).toMatch(/\r\x1b\[2K\[#+\] 3\/3 100% · [\d.]+ img\/s · 0 failed · done\n/);
    expect(err.match(/\r\x1b\[2K\[/g)!.length).toBeGreaterThanOrEqual(2);
    // stdout is the JSONL, untouched by the bar
    expect(
      io.stdout
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    ).toHaveLength(4);
  }, 60_000);

  it('elsewhere (a log), plain lines, one per interval, no carriage returns', async () => {
    const io = captureIo(false);
    expect(await main(files, io, { progressIntervalMs: 0 })).toBe(0);
    const err = io.stderr.join('');
    expect(err).not.toContain('\r');
    expect(err.match(/^analyze: \d\/3 images \(\d+ %\), 0 failed, [\d.]+ images\/s, about .+ left$/gm)).toHaveLength(3);
  }, 60_000);
});

describe('runOrdered', () => {
  it('emits in input order whatever the finishing order; never more than the window ahead; abort lets started items finish', async () => {
    const delays = [50, 5, 30, 1, 20, 1, 1, 40, 2, 3];
    let running = 0,
      maxRunning = 0,
      maxAhead = 0;
    const emitted: number[] = [];
    const started: number[] = [];
    await runOrdered(
      delays.map((_, i) => i),
      { concurrency: 3, window: 4 },
      async (i) => {
        started.push(i);
        maxAhead = Math.max(maxAhead, i - emitted.length);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, delays[i]));
        running--;
        return i * 10;
      },
      async (r, i) => {
        expect(r).toBe(i * 10);
        emitted.push(i);
      },
    );
    expect(emitted).toEqual(delays.map((_, i) => i));
    expect(maxRunning).toBe(3);
    expect(maxAhead).toBeLessThan(4);

    const stop = new AbortController();
    const done: number[] = [];
    const n = await runOrdered(
      Array.from({ length: 20 }, (_, i) => i),
      { concurrency: 2, signal: stop.signal },
      async (i) => {
        if (i === 3) stop.abort();
        await new Promise((r) => setTimeout(r, 5));
        return i;
      },
      async (r) => {
        done.push(r);
      },
    );
    expect(n).toBe(4); // 0…3 started before the abort; all four written, nothing after
    expect(done).toEqual([0, 1, 2, 3]);
  });
});

describe('worker pool', () => {
  it('a worker thread that dies fails only the image it held; the others go on; every worker gone → a clear error', async () => {
    // a stand-in worker speaking the pool's messages: 'crash*' files end the thread mid-image (a native crash would)
    const script = join(mkdtempSync(join(tmpdir(), 'faceptor-pool-')), 'worker.mjs');
    writeFileSync(
      script,
      `import { parentPort } from 'node:worker_threads';
      parentPort.postMessage({ type: 'ready' });
      parentPort.on('message', (m) => {
        if (m.type === 'close') return parentPort.close();
        if (m.file.startsWith('crash')) process.exit(3);
        setTimeout(() => parentPort.postMessage({ type: 'result', id: m.id, result: { file: m.file, faces: 0, text: m.format + ' ' + m.file + '\\n' } }), 20);
      });`,
    );
    const pool = await createWorkerPool(
      { detector: 'auto', tasks: ['default'], denseCrops: 'shared' },
      2,
      'jsonl',
      pathToFileURL(script),
    );
    const results = await Promise.all(['a.jpg', 'crash-1.jpg', 'b.jpg', 'c.jpg', 'd.jpg'].map((f) => pool.analyze(f)));
    const error = 'crash-1.jpg: the worker thread analysing it stopped (exit code 3)';
    // the failed image's entry is written in the output's format like any other
    expect(results[1]).toEqual({ file: 'crash-1.jpg', error, text: entryLine({ file: 'crash-1.jpg', error }) });
    expect(results.filter((r) => 'faces' in r).map((r) => r.file)).toEqual(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']);
    expect(results[0].text).toBe('jsonl a.jpg\n'); // the format reaches the worker, its text comes back as written
    expect(await pool.analyze('crash-2.jpg')).toMatchObject({ error: expect.stringContaining('stopped') });
    await expect(pool.analyze('e.jpg')).rejects.toThrow('every analyze worker thread stopped');
    await pool.close();
  });
});
