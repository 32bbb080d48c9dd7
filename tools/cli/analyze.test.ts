/** The analyze CLI end to end: a real process (tsx entry), real photos, a text file; JSON schema and exit codes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportGoldenFixture, type ExportedFixture } from '../node-host/testing/golden-package.ts';
import { decodeRle } from '../../src/pipeline/faceptor/json.ts';
import { CELEBAM_PARTS } from '../../src/core/faceptor/tasks.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FACES = join(ROOT, '..', 'shared', 'faces');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function analyze(args: string[]) {
  const r = spawnSync(TSX, ['tools/cli/analyze.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

describe('npm run analyze', () => {
  it('two faces + one text file → JSON with per-file error; exit 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faceptor-cli-'));
    const text = join(dir, 'readme.txt');
    writeFileSync(text, 'hello');
    const out = join(dir, 'out.json');
    const r = analyze([join(FACES, 'astronaut.png'), text, join(FACES, 'grace_hopper.jpg'), '--json', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/astronaut\.png: 1 face/);
    const { images } = JSON.parse(readFileSync(out, 'utf8'));
    expect(images).toHaveLength(3);
    expect(images[1]).toEqual({ file: text, error: `${text}: not a PNG or JPEG image` });
    for (const [i, name, w, h] of [
      [0, 'astronaut.png', 512, 512],
      [2, 'grace_hopper.jpg', 512, 600],
    ] as const) {
      const img = images[i];
      expect(img.file).toBe(join(FACES, name));
      expect([img.width, img.height]).toEqual([w, h]);
      expect(img.faces).toHaveLength(1);
      const f = img.faces[0];
      expect(Object.keys(f.box).sort()).toEqual(['height', 'width', 'x', 'y']);
      expect(Object.values(f.box).every(isNum)).toBe(true);
      expect(f.score).toBeGreaterThan(0.5);
      expect(f.score).toBeLessThanOrEqual(1);
      expect(f.keypoints).toHaveLength(6);
      for (const p of f.keypoints) {
        expect(p).toHaveLength(2);
        // Keypoints lie inside the image, in source pixels (not normalised).
        expect(p[0]).toBeGreaterThan(1);
        expect(p[0]).toBeLessThan(w);
        expect(p[1]).toBeGreaterThan(1);
        expect(p[1]).toBeLessThan(h);
      }
      expect(img.timings.runMs).toBeGreaterThan(0);
    }
  });

  it('prints JSON to stdout without --json; exit 1 when every file fails', () => {
    const r = analyze([join(FACES, 'README.md')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).images[0].error).toMatch(/README\.md: not a PNG or JPEG image/);
  });

  it('usage errors exit 2 with the help text; --help exits 0', () => {
    const none = analyze([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no image files given[\s\S]*Usage: npm run analyze/);
    expect(analyze(['x.png', '--detector', 'side']).code).toBe(2);
    const help = analyze(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes/);
  });
});

describe('npm run analyze --model (golden Full fixture, random weights)', () => {
  let fixture: ExportedFixture;
  beforeAll(async () => {
    fixture = await exportGoldenFixture('faceptor_full');
  }, 60_000);
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it('adds the task fields per face, the model at the top level, and warns on stderr that it is untrained', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faceptor-cli-'));
    const out = join(dir, 'out.json');
    const r = analyze(['--model', fixture.dir, join(FACES, 'grace_hopper.jpg'), '--json', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*UNTRAINED model.*meaningless/);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.model).toMatchObject({
      variant: 'full',
      untrained: true,
      precision: 'fp32',
      label: expect.stringMatching(/golden fixture/),
    });
    expect(json.model.tasks).toEqual([
      'recog_ms1mv3',
      'age_utkface',
      'biattr_celeba',
      'affect_rafdb',
      'parsing_celebam',
      'align_300w',
    ]);
    const f = json.images[0].faces[0];
    expect(Object.keys(f)).toEqual([
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
    expect(f.landmarks['300w'].points).toHaveLength(68);
    expect(f.age.utkface.distribution).toHaveLength(101);
    expect(Object.keys(f.expression.rafdb.probs)).toHaveLength(7);
    expect(Object.keys(f.attributes)).toHaveLength(40);
    expect(f.identity.embedding).toHaveLength(512);
    const p = f.parsing.celebam;
    expect(p.labels).toEqual([...CELEBAM_PARTS]);
    expect(p.encoding).toBe('rle');
    const mask = decodeRle(p.rle, p.width * p.height); // throws unless the runs cover the region exactly
    expect(Math.max(...mask)).toBeLessThan(19);
    expect(json.images[0].timings.faceptor.encoder512Ms).toBeGreaterThan(0);
  });

  it('--tasks picks tasks (no 512 timing without dense tasks); bad task → exit 2; corrupt package → exit 1 naming the file', () => {
    const r = analyze(['--model', fixture.dir, join(FACES, 'astronaut.png'), '--tasks', 'age,identity']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.images[0].tasks).toEqual(['recog_ms1mv3', 'age_utkface']);
    expect(Object.keys(json.images[0].faces[0])).toEqual(['box', 'score', 'keypoints', 'age', 'identity']);
    expect(json.images[0].timings.faceptor.encoder512Ms).toBe(0);

    const bad = analyze(['--model', fixture.dir, join(FACES, 'astronaut.png'), '--tasks', 'smile']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown task 'smile'/);
    expect(analyze([join(FACES, 'astronaut.png'), '--tasks', 'age']).code).toBe(2);

    const dir = join(mkdtempSync(join(tmpdir(), 'faceptor-cli-')), 'pkg');
    cpSync(fixture.dir, dir, { recursive: true });
    const w = readFileSync(join(dir, 'decoder.onnx'));
    w[100] ^= 1;
    writeFileSync(join(dir, 'decoder.onnx'), w);
    const corrupt = analyze(['--model', dir, join(FACES, 'astronaut.png')]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/decoder\.onnx is corrupt/);
  });
});
