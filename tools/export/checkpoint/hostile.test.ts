/**
 * Inputs from the hostile-input probe (issue 9 items 2, 3, 7, 15, 16): each ends quickly in a CheckpointError that
 * names the cause and the file, where the reader used to spin for minutes, kill V8, read the wrong bytes, answer
 * with a cause-less message, or accept an archive two readers would read differently.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, openCheckpoint } from './index.ts';
import { MAX_LONG_BYTES, PickleError, PyDict, unpickle } from './pickle.ts';
import { PickleWriter, statePickle, type FakeTensor } from './testing/pickle-writer.ts';
import { writeZip } from './testing/zip-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'ckpt-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const f32 = (values: number[]): Uint8Array => new Uint8Array(new Float32Array(values).buffer);
const enc = (s: string) => new TextEncoder().encode(s);

async function expectError(path: string, code: string, pattern: RegExp): Promise<CheckpointError> {
  const err = await openCheckpoint(path).then(
    () => {
      throw new Error('expected openCheckpoint to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CheckpointError);
  const ce = err as CheckpointError;
  expect(ce.message).toMatch(pattern);
  expect(ce.code).toBe(code);
  expect(ce.message).toContain(path);
  return ce;
}

/** A one-tensor checkpoint whose data.pkl is `pkl`. */
async function withPickle(name: string, pkl: Uint8Array): Promise<string> {
  const p = join(dir, `${name}.pth.tar`);
  await writeZip(p, [
    { name: 'm/data.pkl', data: pkl },
    { name: 'm/data/0', data: f32([1, 2, 3, 4]) },
  ]);
  return p;
}

const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

describe('pickle: lengths and integers', () => {
  it('a 256 KiB LONG4 integer fails fast (was 572 s of CPU)', async () => {
    const n = 256 * 1024;
    const pkl = new Uint8Array(2 + 5 + n + 1);
    pkl.set([0x80, 2, 0x8b, ...u32(n)]);
    pkl.fill(0x41, 7);
    pkl[pkl.length - 1] = 0x2e;
    const t0 = performance.now();
    await expectError(await withPickle('long4', pkl), 'bad_pickle', /LONG4 integer of 262144 bytes .* too large/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('LONG1 values decode exactly up to the cap (sign included)', () => {
    for (const v of [0n, 1n, -1n, 127n, 128n, -129n, 50000n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 500n - 3n]) {
      const got = unpickle(new PickleWriter().long(v).stop());
      expect(BigInt(got as number | bigint)).toBe(v);
    }
    const atCap = Uint8Array.from([0x80, 2, 0x8a, MAX_LONG_BYTES, ...new Array(MAX_LONG_BYTES).fill(0xff), 0x2e]);
    expect(unpickle(atCap)).toBe(-1);
    const overCap = Uint8Array.from([
      0x80,
      2,
      0x8a,
      MAX_LONG_BYTES + 1,
      ...new Array(MAX_LONG_BYTES + 1).fill(0),
      0x2e,
    ]);
    expect(() => unpickle(overCap)).toThrow(/LONG1 integer of 65 bytes/);
  });

  it('BINSTRING with a negative length is refused (was: the cursor moved back until V8 died)', async () => {
    // 'T' len=-5: the same opcode would be read again and again.
    const pkl = Uint8Array.from([0x80, 2, 0x54, ...u32(-5 >>> 0), 0x2e]);
    await expectError(await withPickle('binstring', pkl), 'bad_pickle', /invalid length -5/);
  });

  it('every other length-prefixed opcode past the end is refused', () => {
    for (const op of [
      [0x58, ...u32(0xffffffff)],
      [0x42, ...u32(0x7fffffff)],
      [0x8c, 200],
      [0x43, 9],
      [0x55, 9],
      [0x8b, ...u32(20)],
      [0x95, 1, 2],
    ]) {
      expect(() => unpickle(Uint8Array.from([0x80, 2, ...op, 0x2e]))).toThrow(PickleError);
    }
  });

  it('300k-item APPENDS works (was "Maximum call stack size exceeded")', () => {
    const n = 300_000;
    const body = new Uint8Array(n * 2);
    for (let i = 0; i < n; i++) body.set([0x4b, i & 0xff], i * 2);
    const pkl = Uint8Array.from([0x80, 2, 0x7d, 0x58, ...u32(1), 0x78, 0x5d, 0x28, ...body, 0x65, 0x73, 0x2e]);
    const d = unpickle(pkl) as PyDict;
    const list = d.get('x') as number[];
    expect(list.length).toBe(n);
    expect(list[n - 1]).toBe((n - 1) & 0xff);
  });

  it('a MARK cannot be memoized or duplicated into a value', () => {
    expect(() => unpickle(Uint8Array.from([0x80, 2, 0x28, 0x71, 0, 0x2e]))).toThrow(/MARK cannot be memoized/);
    expect(() => unpickle(Uint8Array.from([0x80, 2, 0x28, 0x32, 0x2e]))).toThrow(
      /MARK cannot be memoized or duplicated/,
    );
  });
});

describe('tensor views', () => {
  const tensor = (offset: number, numel = 4, shape = [2]): FakeTensor => ({
    key: 'module.w',
    storageType: 'FloatStorage',
    storageKey: '0',
    numel,
    offset,
    shape,
    stride: [1],
  });
  for (const offset of [-64, -1e12]) {
    it(`storage offset ${offset} is refused (was: exported from the wrong bytes)`, async () => {
      await expectError(
        await withPickle(`offset${offset}`, statePickle([tensor(offset)])),
        'bad_pickle',
        new RegExp(`storage offset is negative \\(${offset}\\)`),
      );
    });
  }

  it('an offset past the storage is refused, even where the record has the bytes', async () => {
    // Storage says 2 elements, the record holds 4: the view [1..2] is outside the storage torch would build.
    await expectError(
      await withPickle('past-storage', statePickle([tensor(1, 2, [2])])),
      'truncated',
      /extends beyond its storage .* of 2 elements/,
    );
  });

  it('negative sizes and strides are refused', async () => {
    await expectError(
      await withPickle('neg-size', statePickle([{ ...tensor(0), shape: [-2] }])),
      'bad_pickle',
      /size\[0\] is negative/,
    );
    await expectError(
      await withPickle('neg-stride', statePickle([{ ...tensor(2), stride: [-1] }])),
      'bad_pickle',
      /stride\[0\] is negative/,
    );
  });

  it('a non-contiguous view reaching past its storage is refused at open', async () => {
    await expectError(
      await withPickle('strided', statePickle([{ ...tensor(0), shape: [2, 2], stride: [1, 3] }])),
      'truncated',
      /extends beyond its storage/,
    );
  });
});

describe('messages that name the cause', () => {
  it('a protocol 0 pickle says so and how to re-save', async () => {
    // pickle.dumps({'a': 1}, protocol=0)
    const p = await withPickle('proto0', enc('(dp0\nVa\np1\nI1\ns.'));
    await expectError(p, 'old_protocol', /protocol 0\/1 pickles are not supported; re-save .*torch\.save/);
  });

  it('the legacy (pre-1.6) torch format says so and how to convert', async () => {
    const p = join(dir, 'legacy.pt');
    // torch.save(..., _use_new_zipfile_serialization=False): PROTO 2, LONG1 magic 0x1950a86a20f9469cfc6c, …
    writeFileSync(
      p,
      Uint8Array.from([
        0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x80, 0x02, 0x4d,
        0xe9, 0x03, 0x2e,
      ]),
    );
    await expectError(
      p,
      'legacy_format',
      /legacy \(pre-1\.6\) torch\.save format .*_use_new_zipfile_serialization=True/,
    );
    // Its tensor bytes may hold a zip end-record signature by chance: the first bytes decide.
    const withSig = join(dir, 'legacy-sig.pt');
    writeFileSync(withSig, Buffer.concat([readFileSync(p), Buffer.from([0x50, 0x4b, 0x05, 0x06]), Buffer.alloc(40)]));
    await expectError(withSig, 'legacy_format', /legacy \(pre-1\.6\)/);
    const tar = join(dir, 'legacy-tar.pt');
    const block = new Uint8Array(1024);
    block.set(enc('storages'), 0);
    block.set(enc('ustar'), 257);
    writeFileSync(tar, block);
    await expectError(tar, 'legacy_format', /legacy tar/);
  });

  it('a ZIP64 field too large names the field and the file', async () => {
    const p = join(dir, 'z64-huge.pth');
    await writeZip(p, [{ name: 'm/data.pkl', data: statePickle([]) }], { zip64: true });
    const b = readFileSync(p);
    const cd = Number(b.readBigUInt64LE(b.length - 22 - 20 - 56 + 48));
    b.writeBigUInt64LE(2n ** 62n, cd + 46 + 'm/data.pkl'.length + 4); // uncompressed size
    writeFileSync(p, b);
    await expectError(p, 'truncated', /ZIP64 size of m\/data\.pkl \(4611686018427387904\) is too large/);
  });
});

describe('ambiguous zips are refused', () => {
  it('a duplicate data.pkl', async () => {
    const p = join(dir, 'dup-pkl.pth');
    await writeZip(p, [
      { name: 'm/data.pkl', data: statePickle([]) },
      { name: 'm/data.pkl', data: statePickle([]) },
    ]);
    await expectError(p, 'ambiguous_zip', /m\/data\.pkl appears twice/);
    const q = join(dir, 'two-pkl.pth');
    await writeZip(q, [
      { name: 'a/data.pkl', data: statePickle([]) },
      { name: 'b/data.pkl', data: statePickle([]) },
    ]);
    await expectError(q, 'ambiguous_zip', /2 data\.pkl records/);
  });

  it('a duplicate storage record', async () => {
    const p = join(dir, 'dup-storage.pth');
    const pkl = statePickle([
      { key: 'w', storageType: 'FloatStorage', storageKey: '0', numel: 1, shape: [1], stride: [1] },
    ]);
    await writeZip(p, [
      { name: 'm/data.pkl', data: pkl },
      { name: 'm/data/0', data: f32([1]) },
      { name: 'm/data/0', data: f32([666]) },
    ]);
    await expectError(p, 'ambiguous_zip', /m\/data\/0 appears twice/);
  });

  it('a ZIP64 extra field of length 0', async () => {
    const p = join(dir, 'z64-empty.pth');
    await writeZip(p, [{ name: 'm/data.pkl', data: statePickle([]) }], { zip64: true });
    const b = readFileSync(p);
    const cd = Number(b.readBigUInt64LE(b.length - 22 - 20 - 56 + 48));
    const e = cd + 46 + 'm/data.pkl'.length;
    b.writeUInt16LE(0, e + 2); // the field's length: 0
    b.writeUInt16LE(4, cd + 30); // extra length: just the empty field
    b.writeUInt16LE(24, cd + 32); // its former payload becomes the entry comment, so the directory still parses
    writeFileSync(p, b);
    await expectError(p, 'ambiguous_zip', /ZIP64 extra field of zip entry m\/data\.pkl is 0 bytes/);
  });

  it('a central directory offset pointing into another record (a second directory hidden in a payload)', async () => {
    const p = join(dir, 'cd-in-record.pth');
    const pkl = statePickle([
      { key: 'w', storageType: 'FloatStorage', storageKey: '0', numel: 1, shape: [1], stride: [1] },
    ]);
    const entries = (hidden: Uint8Array) => [
      { name: 'm/data.pkl', data: pkl },
      { name: 'm/data/0', data: f32([1]) },
      { name: 'm/data/9', data: hidden },
    ];
    // First pass: learn the directory's bytes; second: hide a copy of it (same length, so same offsets) in data/9.
    await writeZip(p, entries(new Uint8Array(46 * 3 + 30)));
    let b = readFileSync(p);
    const cdSize = b.readUInt32LE(b.length - 22 + 12);
    const cdOffset = b.readUInt32LE(b.length - 22 + 16);
    const hidden = new Uint8Array(46 * 3 + 30);
    hidden.set(b.subarray(cdOffset, cdOffset + cdSize));
    await writeZip(p, entries(hidden));
    b = readFileSync(p);
    const hiddenAt = b.indexOf(Buffer.from(hidden));
    expect(hiddenAt).toBeGreaterThan(0);
    b.writeUInt32LE(hiddenAt, b.length - 22 + 16);
    writeFileSync(p, b);
    await expectError(p, 'ambiguous_zip', /overlaps the central directory/);
  });

  it('a stored record stating two sizes', async () => {
    const p = join(dir, 'two-sizes.pth');
    await writeZip(p, [{ name: 'm/data.pkl', data: statePickle([]) }]);
    const b = readFileSync(p);
    const cd = b.readUInt32LE(b.length - 22 + 16);
    b.writeUInt32LE(b.readUInt32LE(cd + 24) + 100, cd + 24); // uncompressed size
    writeFileSync(p, b);
    await expectError(p, 'ambiguous_zip', /stored zip entry m\/data\.pkl states two sizes/);
  });

  it('a local header naming another record', async () => {
    const p = join(dir, 'local-name.pth');
    const pkl = statePickle([
      { key: 'w', storageType: 'FloatStorage', storageKey: '0', numel: 1, shape: [1], stride: [1] },
    ]);
    await writeZip(p, [
      { name: 'm/data.pkl', data: pkl },
      { name: 'm/data/0', data: f32([1]) },
    ]);
    const b = readFileSync(p);
    const at = b.indexOf(Buffer.from('m/data/0'));
    b.write('m/data/7', at); // the first occurrence is the local header
    writeFileSync(p, b);
    const c = await openCheckpoint(p);
    try {
      await expect(c.tensors.get('w')!.read()).rejects.toThrow(/local header of m\/data\/0 names another record/);
    } finally {
      await c.close();
    }
  });
});

describe('damaged payloads', () => {
  it('a flipped byte in a tensor record is a CRC-32 error, not different weights; CRC 0 (not computed) is accepted', async () => {
    const p = join(dir, 'crc.pth');
    const pkl = statePickle([
      { key: 'w', storageType: 'FloatStorage', storageKey: '0', numel: 4, shape: [4], stride: [1] },
    ]);
    await writeZip(p, [
      { name: 'm/data.pkl', data: pkl },
      { name: 'm/data/0', data: f32([1, 2, 3, 4]) },
    ]);
    const good = readFileSync(p);
    const at = good.indexOf(Buffer.from(f32([1, 2, 3, 4])));
    const bad = Buffer.from(good);
    bad[at + 5] ^= 0x10;
    writeFileSync(p, bad);
    const c = await openCheckpoint(p);
    try {
      await expect(c.tensors.get('w')!.read()).rejects.toMatchObject({
        code: 'crc_mismatch',
        message: expect.stringMatching(/record m\/data\/0 is damaged: CRC-32/),
      });
    } finally {
      await c.close();
    }
    // The writer may leave CRCs out (torch.serialization.set_crc32_options(False)): then nothing can be checked.
    const cd = bad.readUInt32LE(bad.length - 22 + 16);
    const second = cd + 46 + 'm/data.pkl'.length;
    expect(bad.readUInt32LE(second)).toBe(0x02014b50);
    bad.writeUInt32LE(0, second + 16);
    writeFileSync(p, bad);
    const d = await openCheckpoint(p);
    try {
      expect((await d.tensors.get('w')!.read())[0]).toBe(1);
    } finally {
      await d.close();
    }
  });

  it('a flipped byte in data.pkl is a CRC-32 error', async () => {
    const p = join(dir, 'crc-pkl.pth');
    await writeZip(p, [{ name: 'm/data.pkl', data: statePickle([]) }]);
    const b = readFileSync(p);
    b[30 + 'm/data.pkl'.length + 3] ^= 1;
    writeFileSync(p, b);
    await expectError(p, 'crc_mismatch', /record m\/data\.pkl is damaged/);
  });
});
