/**
 * The exporter never deletes what it did not write (issue 9 item 1, 12; issue 12 item 12): every `--out` the
 * hostile-input probe used to lose data with is refused before any work, with the thing left as it was; only an
 * exporter package is replaced, and only with --replace; interrupted exports leave nothing behind, and the
 * leftovers of killed ones are cleaned on the next run without touching look-alikes.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { headOptionsFromManifest } from '../plan/index.ts';
import { exportPackage } from './export.ts';
import { PARTIAL_MARKER, packageName } from './out-dir.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const GOLDEN = process.env.FACEPTOR_GOLDEN ?? resolve(ROOT, '../shared/golden');
const BASE = join(GOLDEN, 'faceptor_base');
const CKPT = join(BASE, 'checkpoint.pth.tar');
const heads = () => headOptionsFromManifest(JSON.parse(readFileSync(join(BASE, 'manifest.json'), 'utf8')));
const work = mkdtempSync(join(tmpdir(), 'faceptor-outdir-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const CLI = join(ROOT, 'tools/export/cli.ts');
const cliArgs = (args: string[]) => ['--import', TSX, CLI, ...args, '--vit-heads', String(heads().vitHeads)];
function runCli(args: string[], cwd = ROOT): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, cliArgs(args), { cwd, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** A folder tree as {relative path: content}, to prove it is untouched. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      const p = join(e.parentPath, e.name);
      out[p.slice(dir.length)] = readFileSync(p, 'latin1');
    }
  }
  return out;
}

function expectRefused(r: ReturnType<typeof runCli>, why: RegExp): void {
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(why);
  expect(r.stderr).not.toMatch(/\[#/); // refused before any work (no progress bar)
}

describe('export --out refuses what the exporter did not write', () => {
  it("an existing folder with a user's files", () => {
    const dir = join(work, 'user-folder');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'thesis.tex'), 'years of work');
    writeFileSync(join(dir, 'sub', 'photo.jpg'), 'jpeg');
    const before = snapshot(dir);
    expectRefused(runCli([CKPT, '--out', dir]), /existing folder that the exporter did not write.*thesis\.tex/);
    expectRefused(runCli([CKPT, '--out', dir, '--replace']), /did not write/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a regular file', () => {
    const f = join(work, 'notes.txt');
    writeFileSync(f, 'keep me');
    expectRefused(runCli([CKPT, '--out', f, '--force']), /is a file, not a folder/);
    expect(readFileSync(f, 'utf8')).toBe('keep me');
  });

  it('the checkpoint itself, and the folder that holds it', () => {
    const dir = join(work, 'ckpt-folder');
    mkdirSync(dir);
    const ckpt = join(dir, 'checkpoint.pth.tar');
    cpSync(CKPT, ckpt);
    const before = snapshot(dir);
    expectRefused(runCli([ckpt, '--out', dir]), /holds the checkpoint being exported/);
    expectRefused(runCli([ckpt, '--out', ckpt]), /is the checkpoint itself/);
    expectRefused(runCli([ckpt, '--out', work]), /holds the checkpoint/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('".", "" and the project folder', () => {
    const cwd = join(work, 'cwd');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'a.txt'), 'a');
    expectRefused(runCli([CKPT, '--out', '.'], cwd), /is the current folder/);
    expectRefused(runCli([CKPT, '--out', ''], cwd), /empty string/);
    expect(readdirSync(cwd)).toEqual(['a.txt']);
    expectRefused(runCli([CKPT, '--out', ROOT, '--replace'], cwd), /is the project folder/);
    expectRefused(runCli([CKPT, '--out', '.']), /current folder/);
    expect(existsSync(join(ROOT, '.git'))).toBe(true);
  });

  it('public/models itself (the detector lives there)', () => {
    const models = join(work, 'site', 'public', 'models');
    mkdirSync(join(models, 'blazeface'), { recursive: true });
    writeFileSync(join(models, 'blazeface', 'face_detection_front_128.onnx'), 'detector');
    const before = snapshot(models);
    expectRefused(runCli([CKPT, '--out', models]), /models folder itself/);
    expectRefused(runCli([CKPT, '--out', join(ROOT, 'public', 'models')]), /models folder itself/);
    expect(snapshot(models)).toEqual(before);
    expect(existsSync(join(ROOT, 'public/models/blazeface'))).toBe(true);
  });

  it('a symbolic link', () => {
    const target = join(work, 'link-target');
    mkdirSync(target);
    writeFileSync(join(target, 'x'), 'x');
    const link = join(work, 'link');
    symlinkSync(target, link);
    expectRefused(runCli([CKPT, '--out', link]), /symbolic link/);
    expect(readdirSync(target)).toEqual(['x']);
  });
});

describe('replacing a package', () => {
  it('an exporter package is replaced only with --replace, and only while it holds nothing else', async () => {
    const out = join(work, 'pkg-replace');
    await exportPackage(CKPT, out, { ...heads(), label: 'first' });
    const first = readFileSync(join(out, 'faceptor.json'), 'utf8');
    await expect(exportPackage(CKPT, out, { ...heads(), label: 'second' })).rejects.toThrow(
      /already holds a package \("first"\); pass --replace/,
    );
    expect(readFileSync(join(out, 'faceptor.json'), 'utf8')).toBe(first);

    await exportPackage(CKPT, out, { ...heads(), label: 'second', replace: true });
    expect(JSON.parse(readFileSync(join(out, 'faceptor.json'), 'utf8')).label).toBe('second');

    writeFileSync(join(out, 'my-notes.md'), 'mine');
    await expect(exportPackage(CKPT, out, { ...heads(), label: 'third', replace: true })).rejects.toThrow(
      /did not write.*my-notes\.md/,
    );
    expect(readFileSync(join(out, 'my-notes.md'), 'utf8')).toBe('mine');
    expect(JSON.parse(readFileSync(join(out, 'faceptor.json'), 'utf8')).label).toBe('second');
  });

  it('a file put into the package during the export is kept, and the export refused', async () => {
    const out = join(work, 'pkg-race');
    await exportPackage(CKPT, out, { ...heads(), label: 'first' });
    await expect(
      exportPackage(CKPT, out, {
        ...heads(),
        label: 'second',
        replace: true,
        onProgress: (done) => {
          if (done === 1) writeFileSync(join(out, 'arrived-late.txt'), 'late');
        },
      }),
    ).rejects.toThrow(/changed during the export/);
    expect(readFileSync(join(out, 'arrived-late.txt'), 'utf8')).toBe('late');
    expect(JSON.parse(readFileSync(join(out, 'faceptor.json'), 'utf8')).label).toBe('first');
    expect(readdirSync(work).filter((n) => n.includes('partial'))).toEqual([]);
  });

  it('replacing deletes only files inside the package, whatever its manifest lists', async () => {
    const out = join(work, 'pkg-listed-outside');
    await exportPackage(CKPT, out, { ...heads(), label: 'first' });
    const victim = join(work, 'victim.txt');
    writeFileSync(victim, 'outside the package');
    const m = JSON.parse(readFileSync(join(out, 'faceptor.json'), 'utf8'));
    m.files.push({ path: '../victim.txt', size: 19, sha256: '0'.repeat(64) });
    writeFileSync(join(out, 'faceptor.json'), JSON.stringify(m));
    await exportPackage(CKPT, out, { ...heads(), label: 'second', replace: true }).catch(() => undefined);
    expect(readFileSync(victim, 'utf8')).toBe('outside the package');
  });

  it('a new folder made (empty) by the user is used', async () => {
    const out = join(work, 'empty-dir');
    mkdirSync(out);
    await exportPackage(CKPT, out, heads());
    expect(existsSync(join(out, 'faceptor.json'))).toBe(true);
  });
});

describe('folder names (no --out)', () => {
  it('come from variant/precision/label, never replace, and the index has no duplicates', async () => {
    const models = join(work, 'named', 'public', 'models');
    const a = await exportPackage(CKPT, { modelsDir: models }, heads());
    const b = await exportPackage(CKPT, { modelsDir: models }, heads());
    const c = await exportPackage(
      CKPT,
      { modelsDir: models },
      { ...heads(), precision: 'fp16', label: 'Faceptor Base — mine!' },
    );
    expect([a, b, c].map((r) => r.outDir)).toEqual([
      join(models, 'base-fp32'),
      join(models, 'base-fp32-2'),
      join(models, 'faceptor-base-mine'),
    ]);
    expect(JSON.parse(readFileSync(join(a.outDir, 'faceptor.json'), 'utf8')).label).toBe(a.manifest.label); // a untouched by b
    const index = JSON.parse(readFileSync(join(models, 'index.json'), 'utf8')) as {
      packages: { name: string; label: string }[];
    };
    expect(index.packages.map((p) => p.name)).toEqual(['base-fp32', 'base-fp32-2', 'faceptor-base-mine']);
    const labels = index.packages.map((p) => p.label);
    expect(new Set(labels).size).toBe(labels.length); // the picker can tell them apart
    expect(labels[1]).toBe(`${labels[0]} [base-fp32-2]`);
  });

  it('packageName slugs labels and falls back to variant-precision', () => {
    expect(packageName('layer_attention', 'fp16')).toBe('layer-attention-fp16');
    expect(packageName('full', 'fp32', '../../etc')).toBe('etc');
    expect(packageName('full', 'fp32', '!!!')).toBe('full-fp32');
  });
});

describe('interrupted exports', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    it(`${sig} during the export removes the partial folder`, async () => {
      const parent = join(work, sig);
      mkdirSync(parent);
      const child = spawn(process.execPath, cliArgs([CKPT, '--out', join(parent, 'pkg')]), { cwd: ROOT });
      let stderr = '';
      let sent = false;
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        // The first progress line: the partial folder exists and most of the work is still ahead.
        if (!sent && /\] 1\/\d+/.test(stderr)) {
          sent = true;
          expect(readdirSync(parent).some((n) => n.startsWith('.pkg.partial-'))).toBe(true);
          child.kill(sig);
        }
      });
      const signal = await new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
      expect(sent).toBe(true);
      expect(signal).toBe(sig);
      expect(readdirSync(parent)).toEqual([]);
    }, 60_000);

  it('leftovers of killed exports are cleaned on the next run; look-alikes are not touched', async () => {
    const parent = join(work, 'stale');
    mkdirSync(parent);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a pid that has exited
    // A killed build folder: ours (marker), its process gone.
    const ours = join(parent, `.pkg.partial-${dead}-1`);
    mkdirSync(ours);
    writeFileSync(join(ours, PARTIAL_MARKER), '{}');
    writeFileSync(join(ours, 'weights.bin'), 'w');
    writeFileSync(join(ours, 'encoder_112.onnx'), 'g');
    // Same name pattern, no marker: someone else's folder.
    const lookalike = join(parent, `.pkg.partial-${dead}-2`);
    mkdirSync(lookalike);
    writeFileSync(join(lookalike, 'weights.bin'), 'not ours');
    // Marker, but a user's file inside too: our files go, theirs and the folder stay.
    const mixed = join(parent, `.pkg.partial-${dead}-3`);
    mkdirSync(mixed);
    writeFileSync(join(mixed, PARTIAL_MARKER), '{}');
    writeFileSync(join(mixed, 'weights.bin'), 'w');
    writeFileSync(join(mixed, 'diary.txt'), 'mine');
    // A package moved aside by a swap that was cut short, its place empty: put back.
    const other = join(parent, 'other');
    await exportPackage(CKPT, other, { ...heads(), label: 'moved aside' });
    const aside = join(parent, `.other.partial-${dead}-4.old`);
    cpSync(other, aside, { recursive: true });
    rmSync(other, { recursive: true });

    const warnings: string[] = [];
    await exportPackage(CKPT, join(parent, 'pkg'), { ...heads(), onWarning: (m) => warnings.push(m) });
    expect(existsSync(ours)).toBe(false);
    expect(readFileSync(join(lookalike, 'weights.bin'), 'utf8')).toBe('not ours');
    expect(readdirSync(mixed)).toEqual(['diary.txt']);
    expect(existsSync(aside)).toBe(false);
    expect(JSON.parse(readFileSync(join(other, 'faceptor.json'), 'utf8')).label).toBe('moved aside');
    expect(warnings.join('\n')).toMatch(/interrupted export/);
    expect(readdirSync(parent).sort()).toEqual([`.pkg.partial-${dead}-2`, `.pkg.partial-${dead}-3`, 'other', 'pkg']);
  });
});
