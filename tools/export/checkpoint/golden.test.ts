/**
 * The reader against the golden checkpoints. Truth comes from outside the reader: the manifests, the golden data's
 * description (docs/testing.md §5: step, num_batches_tracked = 50000), Info-ZIP's `unzip` (raw record bytes and sizes)
 * and the golden position table (its class row is never resized, so it must equal row 0 of the stored table).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, CheckpointError, type Checkpoint } from './index.ts';

const GOLDEN = '/work/shared/golden';
const VARIANTS = ['faceptor_base', 'faceptor_full', 'faceptor_layer_attention', 'naive_faceptor'] as const;
const EXPECTED_STEP = {
  faceptor_base: 50000,
  faceptor_full: 50000,
  faceptor_layer_attention: 20000,
  naive_faceptor: 50000,
};
const hasGolden = existsSync(`${GOLDEN}/faceptor_base/checkpoint.pth.tar`);
const hasUnzip = (() => {
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Record name → size, as Info-ZIP lists it. */
function unzipSizes(file: string): Map<string, number> {
  const out = execFileSync('unzip', ['-Z', '-l', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const sizes = new Map<string, number>();
  for (const line of out.split('\n')) {
    // -rw----     0.0 fat   262400 b- 262400 stor 80-000-00 00:00 checkpoint.pth/data/1
    const m = /^\S+\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\d+\s+(\S+)\s+\S+\s+\S+\s+(.+)$/.exec(line);
    if (m) sizes.set(m[3]!, Number(m[1]));
  }
  return sizes;
}
const unzipRecord = (file: string, name: string): Buffer =>
  execFileSync('unzip', ['-p', file, name], { maxBuffer: 256 << 20 });

describe.skipIf(!hasGolden).each(VARIANTS)('golden checkpoint %s', (variant) => {
  const file = `${GOLDEN}/${variant}/checkpoint.pth.tar`;
  const manifest = JSON.parse(readFileSync(`${GOLDEN}/${variant}/manifest.json`, 'utf8'));
  let ckpt: Checkpoint;
  beforeAll(async () => {
    ckpt = await openCheckpoint(file);
  });
  afterAll(async () => {
    await ckpt?.close();
  });

  it('has the step, top-level keys and entry count the manifest states', () => {
    expect(ckpt.step).toBe(EXPECTED_STEP[variant]);
    expect(ckpt.step).toBe(manifest.checkpoint.step);
    expect(ckpt.topLevelKeys).toEqual(manifest.checkpoint.top_level_keys);
    expect(ckpt.tensors.size).toBe(manifest.checkpoint.num_state_dict_entries);
    expect(ckpt.size).toBe(readFileSync(file).length);
  });

  it('strips the DDP `module.` prefix from every key', () => {
    for (const key of ckpt.tensors.keys()) expect(key.startsWith('module.')).toBe(false);
    expect(ckpt.tensors.has('backbone_module.visual.conv1.weight')).toBe(true);
  });

  it.skipIf(!hasUnzip)('every float32 storage record is exactly numel·4 bytes (Info-ZIP listing)', () => {
    const sizes = unzipSizes(file);
    const dataPkl = [...sizes.keys()].find((n) => n.endsWith('/data.pkl'))!;
    const prefix = dataPkl.slice(0, -'data.pkl'.length);
    let checked = 0;
    for (const t of ckpt.tensors.values()) {
      if (t.dtype !== 'float32' || /\.mask_map\.1\.ln\./.test(t.key)) continue;
      expect(sizes.get(`${prefix}data/${t.storageKey}`), t.key).toBe(t.numel * 4);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });

  it.skipIf(!hasUnzip)('tensor values equal the raw record bytes that unzip extracts', async () => {
    const sizes = unzipSizes(file);
    const prefix = [...sizes.keys()].find((n) => n.endsWith('/data.pkl'))!.slice(0, -'data.pkl'.length);
    for (const key of [
      'backbone_module.visual.conv1.weight',
      'backbone_module.visual.positional_embedding',
      'backbone_module.visual.transformer.resblocks.11.mlp.c_proj.bias',
    ]) {
      const t = ckpt.tensors.get(key)!;
      const raw = unzipRecord(file, `${prefix}data/${t.storageKey}`);
      const truth = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      const got = await t.read();
      expect(got.length).toBe(t.numel);
      expect(Buffer.from(got.buffer).equals(Buffer.from(truth.buffer))).toBe(true);
    }
  });

  it.skipIf(!hasUnzip)('num_batches_tracked is the int64 50000 and read() refuses it as non-float', async () => {
    const counters = [...ckpt.tensors.values()].filter((t) => t.key.endsWith('num_batches_tracked'));
    expect(counters.length).toBeGreaterThan(0);
    const prefix = [...unzipSizes(file).keys()].find((n) => n.endsWith('/data.pkl'))!.slice(0, -'data.pkl'.length);
    for (const t of counters.slice(0, 3)) {
      expect(t.dtype).toBe('int64');
      expect(t.shape).toEqual([]);
      expect(unzipRecord(file, `${prefix}data/${t.storageKey}`).readBigInt64LE(0)).toBe(50000n);
      await expect(t.read()).rejects.toMatchObject({ code: 'unsupported_dtype' });
      await expect(t.read()).rejects.toThrow(/int64/);
    }
  });

  it('the Norm2d alias shares storage and values with the original', async () => {
    if (variant === 'naive_faceptor') return; // naive has no map_v2 interpreter
    for (const p of ['weight', 'bias']) {
      const a = ckpt.tensors.get(`heads_module.interpreters.map_v2.mask_map.1.${p}`)!;
      const b = ckpt.tensors.get(`heads_module.interpreters.map_v2.mask_map.1.ln.${p}`)!;
      expect(b.storageKey).toBe(a.storageKey);
      expect(Array.from(await b.read())).toEqual(Array.from(await a.read()));
    }
  });

  it('the class row of the golden 7x7 position table equals row 0 of the stored table', async () => {
    const pe = ckpt.tensors.get('backbone_module.visual.positional_embedding')!;
    const C = pe.shape[1]!;
    const golden = new Float32Array(
      readFileSync(`${GOLDEN}/${variant}/backbone.pos_embed_7x7.f32.bin`).buffer.slice(0),
    );
    expect(golden.length).toBe(50 * C);
    const table = await pe.read();
    expect(Array.from(table.subarray(0, C))).toEqual(Array.from(golden.subarray(0, C)));
  });
});

describe.skipIf(!hasGolden)('lazy reading', () => {
  it('opening reads only the directory and data.pkl; a tensor read costs its bytes plus one local header (with its name)', async () => {
    const file = `${GOLDEN}/faceptor_base/checkpoint.pth.tar`;
    const ckpt = await openCheckpoint(file);
    try {
      const afterOpen = ckpt.readStats().bytesRead;
      // data.pkl is ~124 kB and the directory ~90 kB of this 3.9 MB file.
      expect(afterOpen).toBeLessThan(ckpt.size * 0.08);
      const t = ckpt.tensors.get('backbone_module.visual.conv1.weight')!;
      await t.read();
      const first = ckpt.readStats().bytesRead - afterOpen;
      // 30 bytes of local header + the record name, read to check it names the same record as the directory.
      expect(first).toBe(t.numel * 4 + 30 + `checkpoint.pth/data/${t.storageKey}`.length);
      await t.read();
      expect(ckpt.readStats().bytesRead - afterOpen - first).toBe(t.numel * 4);
      // The 10 x 512 CosFace classifier was never touched.
      expect(ckpt.readStats().bytesRead).toBeLessThan(afterOpen + t.numel * 4 * 2 + 100);
    } finally {
      await ckpt.close();
    }
  });

  it('refuses reads after close', async () => {
    const ckpt = await openCheckpoint(`${GOLDEN}/faceptor_base/checkpoint.pth.tar`);
    const t = ckpt.tensors.get('backbone_module.visual.class_embedding')!;
    await ckpt.close();
    await expect(t.read()).rejects.toBeInstanceOf(CheckpointError);
  });
});
