/**
 * Hand-built archives: every bad input gets a CheckpointError naming the problem and the file, and the valid
 * hand-built ones (dtypes, views, ZIP64, a > 4 GiB sparse archive) read back the values written into them.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint, CheckpointError } from './index.ts';
import { PickleWriter, statePickle, type FakeTensor } from './testing/pickle-writer.ts';
import { writeZip } from './testing/zip-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'ckpt-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const GOLDEN_BASE = '/work/shared/golden/faceptor_base/checkpoint.pth.tar';

const f32 = (values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);

async function expectError(path: string, code: string, pattern: RegExp): Promise<CheckpointError> {
  const err = await openCheckpoint(path).then(
    () => {
      throw new Error('expected openCheckpoint to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CheckpointError);
  const ce = err as CheckpointError;
  expect(ce.code).toBe(code);
  expect(ce.message).toMatch(pattern);
  expect(ce.message).toContain(path); // names the file
  return ce;
}

describe('bad input', () => {
  it('a file that is not a zip', async () => {
    const p = join(dir, 'notes.pth.tar');
    writeFileSync(p, 'this is plain text, not a checkpoint\n'.repeat(10));
    await expectError(p, 'not_zip', /not a zip/);
  });

  it('an empty file', async () => {
    const p = join(dir, 'empty.pth.tar');
    writeFileSync(p, '');
    await expectError(p, 'not_zip', /not a zip/);
  });

  it('a missing file', async () => {
    await expectError(join(dir, 'nope.pth.tar'), 'not_found', /cannot open/);
  });

  it.skipIf(!existsSync(GOLDEN_BASE))('a truncated zip (golden checkpoint cut in half)', async () => {
    const p = join(dir, 'half.pth.tar');
    copyFileSync(GOLDEN_BASE, p);
    truncateSync(p, Math.floor(statSync(p).size / 2));
    await expectError(p, 'truncated', /truncated/);
  });

  it('a zip whose directory points past the end of the file', async () => {
    const p = join(dir, 'short-cd.pth.tar');
    await writeZip(p, [{ name: 'a/data.pkl', data: statePickle([]) }]);
    const bytes = readFileSync(p);
    bytes.writeUInt32LE(bytes.length + 1000, bytes.length - 22 + 16); // EOCD: central directory offset
    writeFileSync(p, bytes);
    await expectError(p, 'truncated', /beyond the end/);
  });

  it('a zip that is not a torch checkpoint', async () => {
    const p = join(dir, 'photos.zip');
    await writeZip(p, [{ name: 'photos/readme.txt', data: new TextEncoder().encode('hello') }]);
    await expectError(p, 'not_torch', /no data\.pkl/);
  });

  for (const [module, name] of [
    ['posix', 'system'],
    ['os', 'system'],
    ['builtins', 'eval'],
  ] as const) {
    it(`a pickle calling ${module}.${name} is refused without running it`, async () => {
      const marker = join(dir, `pwned-${module}-${name}`);
      const command = name === 'eval' ? `open(${JSON.stringify(marker)}, 'w').close()` : `touch ${marker}`;
      const payload = new PickleWriter().global(module, name).mark().str(command).tuple().reduce().stop();
      const p = join(dir, `evil-${module}.pth.tar`);
      await writeZip(p, [
        { name: 'evil/data.pkl', data: payload },
        { name: 'evil/version', data: new TextEncoder().encode('3\n') },
      ]);
      const err = await expectError(p, 'forbidden_global', new RegExp(`forbidden global ${module}\\.${name}`));
      expect(err.message).toContain('data.pkl');
      expect(existsSync(marker)).toBe(false);
    });
  }

  it("the os.system payload is live: Python's own unpickler would run it (skipped without python3)", async () => {
    let python = true;
    try {
      execFileSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
    } catch {
      python = false;
    }
    if (!python) return;
    const marker = join(dir, 'python-ran-it');
    const payload = new PickleWriter().global('os', 'system').mark().str(`touch ${marker}`).tuple().reduce().stop();
    const pkl = join(dir, 'evil.pkl');
    writeFileSync(pkl, payload);
    execFileSync('python3', ['-c', `import pickle; pickle.loads(open(${JSON.stringify(pkl)}, 'rb').read())`]);
    expect(existsSync(marker)).toBe(true); // so the reader's refusal above is what kept the marker away
  });

  it('a storage record that is missing', async () => {
    const p = join(dir, 'missing-storage.pth.tar');
    const pkl = statePickle([
      { key: 'module.w', storageType: 'FloatStorage', storageKey: '0', numel: 2, shape: [2], stride: [1] },
    ]);
    await writeZip(p, [{ name: 'm/data.pkl', data: pkl }]);
    await expectError(p, 'storage_missing', /data\/0 of tensor module\.w is missing/);
  });

  it('a storage record shorter than its tensor', async () => {
    const p = join(dir, 'short-storage.pth.tar');
    const pkl = statePickle([
      { key: 'w', storageType: 'FloatStorage', storageKey: '0', numel: 4, shape: [4], stride: [1] },
    ]);
    await writeZip(p, [
      { name: 'm/data.pkl', data: pkl },
      { name: 'm/data/0', data: f32([1, 2]) },
    ]);
    await expectError(p, 'truncated', /fewer than/);
  });

  it('a pickle with an opcode this reader does not implement', async () => {
    const p = join(dir, 'odd-opcode.pth.tar');
    await writeZip(p, [{ name: 'm/data.pkl', data: Uint8Array.from([0x80, 2, 0x81, 0x2e]) }]); // NEWOBJ
    await expectError(p, 'bad_pickle', /unsupported pickle opcode 0x81/);
  });

  it('a pickle cut short', async () => {
    const p = join(dir, 'cut-pickle.pth.tar');
    const full = statePickle([
      { key: 'w', storageType: 'FloatStorage', storageKey: '0', numel: 1, shape: [1], stride: [1] },
    ]);
    await writeZip(p, [
      { name: 'm/data.pkl', data: full.subarray(0, full.length - 10) },
      { name: 'm/data/0', data: f32([1]) },
    ]);
    await expectError(p, 'bad_pickle', /ends in the middle|underflow|MARK/);
  });

  it('a compressed record', async () => {
    const p = join(dir, 'deflated.pth.tar');
    await writeZip(p, [{ name: 'm/data.pkl', data: statePickle([]) }]);
    const bytes = readFileSync(p);
    bytes.writeUInt16LE(8, 8); // local header: method = deflate
    const cd = bytes.readUInt32LE(bytes.length - 22 + 16);
    bytes.writeUInt16LE(8, cd + 10); // central header: method = deflate
    writeFileSync(p, bytes);
    await expectError(p, 'compressed', /compressed/);
  });
});

describe('hand-built checkpoints', () => {
  const tensors: FakeTensor[] = [
    { key: 'module.a', storageType: 'FloatStorage', storageKey: '0', numel: 6, shape: [2, 3], stride: [3, 1] },
    // A view: the last 2 elements of storage 0.
    { key: 'module.view', storageType: 'FloatStorage', storageKey: '0', numel: 6, offset: 4, shape: [2], stride: [1] },
    { key: 'module.t', storageType: 'FloatStorage', storageKey: '0', numel: 6, shape: [3, 2], stride: [1, 3] },
    { key: 'module.h', storageType: 'HalfStorage', storageKey: '1', numel: 4, shape: [4], stride: [1] },
    { key: 'module.d', storageType: 'DoubleStorage', storageKey: '2', numel: 2, shape: [2], stride: [1] },
    { key: 'module.b', storageType: 'BFloat16Storage', storageKey: '3', numel: 2, shape: [2], stride: [1] },
    { key: 'module.n', storageType: 'LongStorage', storageKey: '4', numel: 1, shape: [], stride: [] },
  ];
  const half = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c, 0x01, 0x00]); // 1, -2, +inf, 2^-24
  const double = new Uint8Array(new Float64Array([0.1, -1e10]).buffer);
  const bf = Uint8Array.from([0x80, 0x3f, 0x49, 0x40]); // 1.0, 3.140625
  const records = (prefix: string) => [
    { name: `${prefix}/data/0`, data: f32([1, 2, 3, 4, 5, 6]) },
    { name: `${prefix}/data/1`, data: half },
    { name: `${prefix}/data/2`, data: double },
    { name: `${prefix}/data/3`, data: bf },
    { name: `${prefix}/data/4`, data: new Uint8Array(new BigInt64Array([50000n]).buffer) },
    { name: `${prefix}/version`, data: new TextEncoder().encode('3\n') },
  ];

  async function checkValues(p: string, step: number | undefined): Promise<void> {
    const c = await openCheckpoint(p);
    try {
      expect(c.step).toBe(step);
      expect([...c.tensors.keys()]).toEqual(['a', 'view', 't', 'h', 'd', 'b', 'n']);
      expect(Array.from(await c.tensors.get('a')!.read())).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from(await c.tensors.get('view')!.read())).toEqual([5, 6]);
      expect(Array.from(await c.tensors.get('h')!.read())).toEqual([1, -2, Infinity, 2 ** -24]);
      expect(Array.from(await c.tensors.get('d')!.read())).toEqual([Math.fround(0.1), Math.fround(-1e10)]);
      expect(Array.from(await c.tensors.get('b')!.read())).toEqual([1, 3.140625]);
      const t = c.tensors.get('t')!;
      expect(t.shape).toEqual([3, 2]);
      await expect(t.read()).rejects.toMatchObject({ code: 'non_contiguous' });
      await expect(t.read()).rejects.toThrow(/non-contiguous.*stride \[1,3\]/);
      await expect(c.tensors.get('n')!.read()).rejects.toMatchObject({ code: 'unsupported_dtype' });
    } finally {
      await c.close();
    }
  }

  it('{step, state_dict} with a folder name that is not checkpoint.pth', async () => {
    const p = join(dir, 'checkpoint_rank0_iter_7.pth.tar');
    await writeZip(p, [
      { name: 'checkpoint_rank0_iter_7.pth/data.pkl', data: statePickle(tensors, { step: 7 }) },
      ...records('checkpoint_rank0_iter_7.pth'),
    ]);
    await checkValues(p, 7);
  });

  it('a bare state_dict at the top level, ZIP64 records throughout', async () => {
    const p = join(dir, 'bare64.pth');
    await writeZip(
      p,
      [{ name: 'bare64/data.pkl', data: statePickle(tensors, { nested: false }) }, ...records('bare64')],
      { zip64: true },
    );
    await checkValues(p, undefined);
  });

  it('a > 4 GiB archive (sparse): records beyond 4 GiB, only the requested tensor is read', async () => {
    const p = join(dir, 'huge.pth.tar');
    const big = 4.5 * 2 ** 30; // a 4.5 GiB all-zero "optimizer" storage left as a hole
    const pkl = statePickle(
      [
        {
          key: 'module.classifier',
          storageType: 'FloatStorage',
          storageKey: '9',
          numel: big / 4,
          shape: [big / 4],
          stride: [1],
        },
        { key: 'module.w', storageType: 'FloatStorage', storageKey: '0', numel: 3, shape: [3], stride: [1] },
      ],
      { step: 50000 },
    );
    await writeZip(p, [
      { name: 'huge/data/9', holeSize: big },
      { name: 'huge/data/0', data: f32([0.5, -0.25, 8]) },
      { name: 'huge/data.pkl', data: pkl },
    ]);
    expect(statSync(p).size).toBeGreaterThan(2 ** 32);
    const c = await openCheckpoint(p);
    try {
      expect(c.step).toBe(50000);
      expect(c.tensors.get('classifier')!.numel).toBe(big / 4);
      expect(Array.from(await c.tensors.get('w')!.read())).toEqual([0.5, -0.25, 8]);
      expect(c.readStats().bytesRead).toBeLessThan(200_000);
    } finally {
      await c.close();
    }
  });
});

describe('a trained checkpoint with optimizer state', () => {
  it('walks the AdamW state (int keys, floats, tuples, 1 GiB moment tensors) without reading it', async () => {
    const GiB = 2 ** 30;
    const w = new PickleWriter();
    w.emptyDict().mark();
    w.str('step').int(50000);
    w.str('state_dict').global('collections', 'OrderedDict').emptyTuple().reduce();
    w.str('module.w')
      .tensor({ storageType: 'FloatStorage', key: '0', numel: 2, shape: [2], stride: [1] })
      .setitem();
    w.str('optimizer').emptyDict().mark();
    w.str('state').emptyDict().int(0).emptyDict().mark();
    w.str('step').tensor({ storageType: 'FloatStorage', key: '1', numel: 1, shape: [], stride: [] });
    w.str('exp_avg').tensor({ storageType: 'FloatStorage', key: '2', numel: GiB / 4, shape: [GiB / 4], stride: [1] });
    w.str('exp_avg_sq').tensor({
      storageType: 'FloatStorage',
      key: '3',
      numel: GiB / 4,
      shape: [GiB / 4],
      stride: [1],
    });
    w.setitems().setitem();
    w.str('param_groups').emptyList().mark().emptyDict().mark();
    w.str('lr').float(4e-5).str('betas').mark().float(0.9).float(0.999).tuple().str('eps').float(1e-8);
    w.str('weight_decay')
      .float(0.05)
      .str('amsgrad')
      .op(0x89)
      .str('foreach')
      .none()
      .str('params')
      .emptyList()
      .mark()
      .int(0)
      .appends();
    w.setitems().appends();
    w.setitems(); // optimizer
    w.setitems(); // top level
    const p = join(dir, 'trained.pth.tar');
    await writeZip(p, [
      { name: 'trained/data.pkl', data: w.stop() },
      { name: 'trained/data/0', data: f32([3, 4]) },
      { name: 'trained/data/1', data: f32([50000]) },
      { name: 'trained/data/2', holeSize: GiB },
      { name: 'trained/data/3', holeSize: GiB },
    ]);
    const c = await openCheckpoint(p);
    try {
      expect(c.step).toBe(50000);
      expect(c.topLevelKeys).toEqual(['step', 'state_dict', 'optimizer']);
      expect([...c.tensors.keys()]).toEqual(['w']);
      expect(Array.from(await c.tensors.get('w')!.read())).toEqual([3, 4]);
      expect(c.readStats().bytesRead).toBeLessThan(100_000);
    } finally {
      await c.close();
    }
  });
});

describe('tensor wrappers torch may write', () => {
  it('_rebuild_parameter and _rebuild_from_type_v2 (Tensor, Parameter) give the wrapped tensor', async () => {
    const args = { storageType: 'FloatStorage', key: '0', numel: 3, shape: [3], stride: [1] };
    const w = new PickleWriter();
    w.global('collections', 'OrderedDict').emptyTuple().reduce();
    w.str('p').parameter(args).setitem();
    w.str('t').tensorFromType(args, ['torch', 'Tensor']).setitem();
    w.str('q').tensorFromType(args, ['torch.nn.parameter', 'Parameter']).setitem();
    const p = join(dir, 'wrapped.pth');
    await writeZip(p, [
      { name: 'wrapped/data.pkl', data: w.stop() },
      { name: 'wrapped/data/0', data: f32([7, 8, 9]) },
    ]);
    const c = await openCheckpoint(p);
    try {
      for (const k of ['p', 't', 'q']) expect(Array.from(await c.tensors.get(k)!.read())).toEqual([7, 8, 9]);
    } finally {
      await c.close();
    }
  });

  it('_rebuild_from_type_v2 with a type outside the whitelist is refused by name', async () => {
    const w = new PickleWriter();
    w.global('collections', 'OrderedDict').emptyTuple().reduce();
    w.str('x')
      .tensorFromType({ storageType: 'FloatStorage', key: '0', numel: 1, shape: [1], stride: [1] }, ['mylib', 'Evil'])
      .setitem();
    const p = join(dir, 'wrapped-evil.pth');
    await writeZip(p, [
      { name: 'w/data.pkl', data: w.stop() },
      { name: 'w/data/0', data: f32([1]) },
    ]);
    await expectError(p, 'forbidden_global', /forbidden global mylib\.Evil/);
  });
});

describe('file handles', () => {
  it('a failed open leaves no descriptor behind', async () => {
    const p = join(dir, 'fd.pth.tar');
    writeFileSync(p, 'not a zip');
    const before = openSync(p, 'r');
    closeSync(before);
    for (let i = 0; i < 20; i++) await openCheckpoint(p).catch(() => undefined);
    const after = openSync(p, 'r');
    closeSync(after);
    expect(after).toBe(before);
  });
});
