/**
 * `npm run export` on bad input: every case exits non-zero with a message naming the problem, and no package
 * (nor a temporary folder) is left behind. The files are built here; the forbidden-global pickle would run a
 * shell command if anything executed it, and the test checks that it did not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from './checkpoint/index.ts';
import { PickleWriter } from './checkpoint/testing/pickle-writer.ts';
import { writeZip } from './checkpoint/testing/zip-writer.ts';
import { writeTorchCheckpoint, type TensorSpec } from './testing/torch-writer.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const GOLDEN = process.env.FACEPTOR_GOLDEN ?? resolve(ROOT, '../shared/golden');
const BASE_CKPT = join(GOLDEN, 'faceptor_base', 'checkpoint.pth.tar');
const work = mkdtempSync(join(tmpdir(), 'faceptor-cli-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runExport(
  ckpt: string,
  name: string,
): { status: number | null; stderr: string; outDir: string; parent: string } {
  const parent = join(work, `out-${name}`);
  mkdirSync(parent);
  const outDir = join(parent, 'pkg');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'tools/export/cli.ts'), ckpt, '--out', outDir, '--vit-heads', '4'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return { status: r.status, stderr: r.stderr, outDir, parent };
}

function expectCleanFailure(r: ReturnType<typeof runExport>, message: RegExp): void {
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(existsSync(r.outDir)).toBe(false);
  expect(readdirSync(r.parent)).toEqual([]);
}

/** The golden base checkpoint's state_dict as writer specs (values, int64 counters and aliases kept). */
const baseSpecs: TensorSpec[] = [];
beforeAll(async () => {
  const c = await openCheckpoint(BASE_CKPT);
  const firstKeyOfStorage = new Map<string, string>();
  for (const t of c.tensors.values()) {
    const key = `module.${t.key}`;
    const alias = firstKeyOfStorage.get(t.storageKey);
    if (alias) {
      baseSpecs.push({ key, shape: t.shape, aliasOf: alias });
      continue;
    }
    firstKeyOfStorage.set(t.storageKey, key);
    baseSpecs.push(
      t.dtype === 'int64' ? { key, shape: t.shape, dtype: 'int64' } : { key, shape: t.shape, data: await t.read() },
    );
  }
  await c.close();
});

describe('export CLI on bad input', () => {
  it('a file that is not a zip', () => {
    const f = join(work, 'notzip.pth.tar');
    writeFileSync(f, 'this is a text file, not a checkpoint\n'.repeat(50));
    expectCleanFailure(runExport(f, 'notzip'), /zip/i);
  });

  it('a truncated zip', () => {
    const f = join(work, 'truncated.pth.tar');
    const bytes = readFileSync(BASE_CKPT);
    writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expectCleanFailure(runExport(f, 'truncated'), /truncated|end of central directory|not a zip/i);
  });

  it('a zip that is not a torch checkpoint', async () => {
    const f = join(work, 'plain.zip');
    await writeZip(f, [{ name: 'docs/readme.txt', data: new TextEncoder().encode('hello') }]);
    expectCleanFailure(runExport(f, 'plainzip'), /not a torch checkpoint/);
  });

  it('a pickle calling os.system is refused by name, without running it', async () => {
    const marker = join(work, 'pwned');
    const pkl = new PickleWriter().global('os', 'system').mark().str(`touch ${marker}`).tuple().reduce().stop();
    const f = join(work, 'evil.pth.tar');
    await writeZip(f, [
      { name: 'evil.pth/data.pkl', data: pkl },
      { name: 'evil.pth/version', data: new TextEncoder().encode('3\n') },
    ]);
    expectCleanFailure(runExport(f, 'evil'), /os\.system/);
    expect(existsSync(marker)).toBe(false);
  });

  it('terminal escapes in names read from the checkpoint are printed escaped, never raw', async () => {
    // A global named with ESC[2K (erase line) would wipe the message on a terminal if printed raw.
    const pkl = new PickleWriter().global('os\x1b[2K', 'system').mark().str('x').tuple().reduce().stop();
    const f = join(work, 'escape.pth.tar');
    await writeZip(f, [
      { name: 'escape.pth/data.pkl', data: pkl },
      { name: 'escape.pth/version', data: new TextEncoder().encode('3\n') },
    ]);
    const r = runExport(f, 'escape');
    expectCleanFailure(r, /os\\x1b\[2K/);
    expect(r.stderr).not.toContain('\x1b');
  });

  it('missing keys are named', () => {
    const f = join(work, 'missing.pth.tar');
    const gone = ['module.heads_module.decoder.level_embed.weight', 'module.backbone_module.visual.ln_pre.bias'];
    writeTorchCheckpoint(f, { tensors: baseSpecs.filter((t) => !gone.includes(t.key)), optimizer: 'empty' });
    const r = runExport(f, 'missing');
    expectCleanFailure(r, /missing key/);
    expect(r.stderr).toContain('heads_module.decoder.level_embed.weight');
    expect(r.stderr).toContain('backbone_module.visual.ln_pre.bias');
  });

  it('a wrong shape names the key, the expected and the actual shape', () => {
    const f = join(work, 'shape.pth.tar');
    const key = 'module.heads_module.decoder.transformer_ffn_layers.3.linear1.bias';
    const tensors = baseSpecs.map((t) => (t.key === key ? { key, shape: [65] } : t));
    writeTorchCheckpoint(f, { tensors, optimizer: 'empty' });
    const r = runExport(f, 'shape');
    expectCleanFailure(r, /wrong shape/);
    expect(r.stderr).toMatch(/transformer_ffn_layers\.3\.linear1\.bias expected \[64\] got \[65\]/);
  });

  it('an unknown variant (a bare FaRL backbone)', () => {
    const f = join(work, 'backbone.pth.tar');
    writeTorchCheckpoint(f, { tensors: baseSpecs.filter((t) => t.key.includes('backbone_module')), optimizer: 'none' });
    expectCleanFailure(runExport(f, 'variant'), /variant/i);
  });

  it('non-finite weights export with a warning naming the tensors', () => {
    const f = join(work, 'nan.pth.tar');
    const bad = new Set([
      'module.heads_module.decoder.level_embed.weight',
      'module.backbone_module.visual.ln_pre.bias',
    ]);
    const tensors = baseSpecs.map((t) => {
      if (!bad.has(t.key) || !t.data) return t;
      const data = t.data.slice();
      data[0] = NaN;
      data[data.length - 1] = -Infinity;
      return { ...t, data };
    });
    writeTorchCheckpoint(f, { tensors, optimizer: 'empty' });
    const r = runExport(f, 'nan');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: 2 tensor\(s\) hold NaN or infinite values/);
    expect(r.stderr).toContain('heads_module.decoder.level_embed.weight (2)');
    expect(r.stderr).toContain('backbone_module.visual.ln_pre.bias (2)');
  });

  it('a rewritten valid checkpoint exports (the failures above are the edits, not the writer)', () => {
    const f = join(work, 'ok.pth.tar');
    writeTorchCheckpoint(f, { tensors: baseSpecs, optimizer: 'adamw' });
    const r = runExport(f, 'ok');
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(join(r.outDir, 'faceptor.json'), 'utf8')).variant).toBe('base');
  });
});
