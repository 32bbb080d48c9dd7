/**
 * The analyze CLI's inputs and outputs under hostile or heavy use (issue 9, items 5, 9, 14, 17, 18): outputs checked
 * before any work, JSON streamed image by image (an interruption keeps a valid document), large photos decoded
 * scaled like the app, the alpha rule, and terminal escapes in labels. In-process `main` where a hook is needed, a
 * real process for signals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, linkSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { main } from './analyze.ts';
import { captureIo } from './capture-io.test-util.ts';
import { AnalysisWriter } from './json-output.ts';
import { writeEntry } from './written-entry.ts';
import { entryLine } from './jsonl-output.ts';
import { escapeForTerminal, escapeJsonForTerminal, escapeLinesForTerminal } from './terminal-text.ts';
import { formatAnalysisDocument, type ImageEntry } from '../../src/pipeline/analysis-json.ts';
import { exportGoldenFixture, type ExportedFixture } from '../node-host/testing/golden-package.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FACES = join(ROOT, '..', 'shared', 'faces');
const GRACE = join(FACES, 'grace_hopper.jpg');
const ASTRONAUT = join(FACES, 'astronaut.png');

const work = mkdtempSync(join(tmpdir(), 'faceptor-cli-io-'));

describe('outputs are checked before any work (item 17)', () => {
  it('--json naming an input image (even as a hard link or another spelling) is refused and the photo is untouched', async () => {
    const photo = join(work, 'photo.jpg');
    cpSync(GRACE, photo);
    const link = join(work, 'same-photo.jpg');
    linkSync(photo, link);
    const before = readFileSync(photo);
    for (const [out, why] of [
      [photo, 'it is one of the input images'],
      [`${work}/./photo.jpg`, 'it is one of the input images'],
      [link, `it is the same file as the input image ${photo}`],
    ] as const) {
      const io = captureIo();
      const t0 = performance.now();
      expect(await main([photo, ASTRONAUT, '--json', out], io)).toBe(1);
      expect(performance.now() - t0).toBeLessThan(2000); // no model loaded, no image analysed
      expect(io.stderr.join('')).toContain(`cannot write ${out}: ${why}`);
      expect(io.stdout).toEqual([]);
    }
    expect(readFileSync(photo).equals(before)).toBe(true);
  });

  it('--json into a missing folder, onto a folder, or over a file analyze did not write: refused up front', async () => {
    const notes = join(work, 'notes.txt');
    writeFileSync(notes, 'my notes');
    for (const [out, why] of [
      [join(work, 'no-such-dir', 'out.json'), 'does not exist'],
      [work, 'it is a folder'],
      [notes, 'the file exists and is not an analyze JSON file: refusing to overwrite it'],
    ] as const) {
      const io = captureIo();
      expect(await main([GRACE, '--json', out], io)).toBe(1);
      expect(io.stderr.join('')).toContain(why);
      expect(io.stdout).toEqual([]);
    }
    expect(readFileSync(notes, 'utf8')).toBe('my notes');
  });

  it('an earlier analyze JSON is replaced', async () => {
    const out = join(work, 'again.json');
    writeFileSync(out, '{\n  "images": []\n}\n');
    expect(await main([GRACE, '--json', out], captureIo())).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).images).toHaveLength(1);
  });
});

describe('--json is written image by image (item 5)', () => {
  const entry = (i: number): ImageEntry => ({ file: `f${i}.jpg`, error: `bad ${i}` });

  it('the streamed text is exactly the document formatAnalysisDocument makes, one write per image', async () => {
    const writes: string[] = [];
    const writer = new AnalysisWriter({
      write: async (t) => {
        writes.push(t);
      },
      close: async () => undefined,
    });
    const model = { label: 'm', tasks: ['age_morph2'] } as never;
    await writer.begin(model);
    for (let i = 0; i < 3; i++) await writer.add(entry(i));
    await writer.end();
    expect(writes).toHaveLength(5);
    expect(writes.join('')).toBe(formatAnalysisDocument({ model, images: [0, 1, 2].map(entry) }));
    // entries formatted where they were analysed (a worker thread: written-entry.ts) make the very same text
    const fromWorkers: string[] = [];
    const second = new AnalysisWriter({
      write: async (t) => {
        fromWorkers.push(t);
      },
      close: async () => undefined,
    });
    await second.begin(model);
    for (let i = 0; i < 3; i++) await second.addText(writeEntry(entry(i), 'json').text);
    await second.end();
    expect(fromWorkers).toEqual(writes);
    const ok: ImageEntry = { file: 'ok.jpg', width: 4, height: 3, faces: [] } as unknown as ImageEntry;
    expect(writeEntry(ok, 'jsonl')).toEqual({ file: 'ok.jpg', faces: 0, text: entryLine(ok) });
    expect(writeEntry(entry(7), 'jsonl')).toEqual({ file: 'f7.jpg', error: 'bad 7', text: entryLine(entry(7)) });
    // a run cut after two images: the prefix plus the tail is the two-image document
    expect(writes.slice(0, 3).join('') + '\n  ]\n}\n').toBe(
      formatAnalysisDocument({ model, images: [entry(0), entry(1)] }),
    );
  });

  it('each image is written before the next is analysed; aborting keeps a valid JSON with the images done (exit 130)', async () => {
    const stop = new AbortController();
    const io = captureIo();
    io.out = (t) => {
      io.stdout.push(t);
      if (t.includes('"faces"')) stop.abort(); // the first image's entry is out: interrupt now
    };
    const code = await main([GRACE, ASTRONAUT, GRACE, ASTRONAUT], io, { signal: stop.signal });
    expect(code).toBe(130);
    const json = JSON.parse(io.stdout.join(''));
    expect(json.images).toHaveLength(1);
    expect(json.images[0].faces).toHaveLength(1);
    expect(io.stderr.join('')).toMatch(/interrupted: 1 of 4 image\(s\) analysed/);
  });

  it('Ctrl-C on the real process: finishes the current image, closes the file, exits 130', async () => {
    const out = join(work, 'interrupted.json');
    const files = Array.from({ length: 12 }, (_, i) => (i % 2 ? ASTRONAUT : GRACE));
    // node with tsx as a loader, not the tsx CLI: that wrapper relays a signal sent to it alone and SIGKILLs a child
    // that does not acknowledge within 30 ms (on a terminal, Ctrl-C reaches the whole process group directly).
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/cli/analyze.ts', ...files, '--json', out], {
      cwd: ROOT,
    });
    let stdout = '';
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!signalled && /face\(s\)/.test(stdout)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code).toBe(130);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.images.length).toBeGreaterThanOrEqual(1);
    expect(json.images.length).toBeLessThan(files.length);
  }, 120_000);

  it('stdout closed by its reader (`| head`): the CLI stops quietly with 141 instead of an EPIPE crash', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'tools/cli/analyze.ts', GRACE, ASTRONAUT, GRACE, ASTRONAUT],
      { cwd: ROOT },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code).toBe(141);
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
  }, 120_000);

  it('killed mid-run (SIGKILL): the file is the prefix README describes, whole again with the tail appended', async () => {
    const out = join(work, 'killed.json');
    const files = Array.from({ length: 12 }, (_, i) => (i % 2 ? ASTRONAUT : GRACE));
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/cli/analyze.ts', ...files, '--json', out], {
      cwd: ROOT,
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if ((stdout.match(/face\(s\)/g) ?? []).length === 2) child.kill('SIGKILL');
    });
    await new Promise((res) => child.on('close', res));
    const partial = readFileSync(out, 'utf8');
    expect(() => JSON.parse(partial)).toThrow(); // not closed…
    expect(partial.endsWith('\n    }')).toBe(true); // …but it ends after a complete image entry
    const json = JSON.parse(`${partial}\n  ]\n}\n`);
    expect(json.images.length).toBeGreaterThanOrEqual(2);
    expect(json.images[0].faces).toHaveLength(1);
  }, 120_000);
});

describe('images decoded like the app (items 9, 18)', () => {
  it('a photo larger than 4096 px is analysed from a scaled decode and answered in source pixels', async () => {
    const big = join(work, 'grace-x10.jpg');
    await sharp(GRACE).resize(5120, 6000, { kernel: 'cubic' }).jpeg({ quality: 92 }).toFile(big);
    const io = captureIo();
    expect(await main([GRACE, big], io)).toBe(0);
    const [small, large] = JSON.parse(io.stdout.join('')).images;
    expect([large.width, large.height]).toEqual([5120, 6000]);
    expect(large.faces).toHaveLength(1);
    const a = small.faces[0].box,
      b = large.faces[0].box;
    // the same face, ten times larger (tolerance: 3 % of the face size)
    for (const k of ['x', 'y', 'width', 'height'] as const)
      expect(Math.abs(b[k] - 10 * a[k])).toBeLessThan(0.03 * 10 * a.width);
  }, 60_000);

  it('a fully transparent PNG (a face stored under alpha 0) has no face, as in the app (canvas → black)', async () => {
    const png = PNG.sync.read(readFileSync(ASTRONAUT));
    for (let i = 3; i < png.data.length; i += 4) png.data[i] = 0;
    const file = join(work, 'transparent.png');
    writeFileSync(file, PNG.sync.write(png));
    const io = captureIo();
    expect(await main([ASTRONAUT, file], io)).toBe(0);
    const [opaque, transparent] = JSON.parse(io.stdout.join('')).images;
    expect(opaque.faces).toHaveLength(1); // the same pixels, opaque: the face is there
    expect(transparent.faces).toHaveLength(0); // was 1 before the shared alpha rule
  }, 60_000);
});

describe('terminal escapes from files are shown, not sent (item 14)', () => {
  let fixture: ExportedFixture;
  beforeAll(async () => {
    fixture = await exportGoldenFixture('faceptor_base');
  }, 60_000);
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it('escape helpers', () => {
    expect(escapeForTerminal('a\x1b[2K\x1b[1Ab\x9b1m\u202eZ\n')).toBe('a\\x1b[2K\\x1b[1Ab\\x9b1m\\u202eZ\\x0a');
    expect(escapeLinesForTerminal('Error: \x1b[2K\n    at x (\x07.ts)')).toBe('Error: \\x1b[2K\n    at x (\\x07.ts)');
    const json = JSON.stringify({ label: 'x\x1b\x9b\u202e' });
    expect(JSON.parse(escapeJsonForTerminal(json))).toEqual({ label: 'x\x1b\x9b\u202e' });
    expect(escapeJsonForTerminal(json)).not.toMatch(/[\x1b\x9b\u202e]/);
  });

  it('a package label that tries to erase the UNTRAINED warning is printed escaped, in the warning and the JSON', async () => {
    const dir = join(work, 'evil-label');
    mkdirSync(dir);
    cpSync(fixture.dir, dir, { recursive: true });
    const manifestPath = join(dir, 'faceptor.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.label = 'random weights\x1b[2K\x1b[1A\x9b2K\u202e';
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const io = captureIo();
    expect(await main(['--model', dir, '--tasks', 'age', GRACE], io)).toBe(0);
    const err = io.stderr.join('');
    expect(err).toContain('warning: random weights\\x1b[2K\\x1b[1A\\x9b2K\\u202e is an UNTRAINED model');
    expect(err).not.toMatch(/[\x1b\x9b\u202e]/);
    const out = io.stdout.join('');
    expect(out).not.toMatch(/[\x1b\x9b\u202e]/);
    expect(JSON.parse(out).model.label).toBe(manifest.label);
  }, 60_000);
});
