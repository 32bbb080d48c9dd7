/**
 * Exporter behaviour around the graphs: atomic writes, unwritable output, the model index, file hashes, weights
 * stored once, and a real-size dry run proving every inference key of full_size_keys.json maps onto the graphs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/core/faceptor/manifest.ts';
import { TASKS } from '../../../src/core/faceptor/tasks.ts';
import { headOptionsFromManifest, planExport } from '../plan/index.ts';
import { buildPackageGraphs, exportPackage } from './export.ts';
import { WeightStore } from './weights.ts';
import { fp16KeepsFloat32 } from './precision.ts';
import { openCheckpoint } from '../checkpoint/index.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const GOLDEN = process.env.FACEPTOR_GOLDEN ?? resolve(ROOT, '../shared/golden');
const BASE = join(GOLDEN, 'faceptor_base');
const heads = () => headOptionsFromManifest(JSON.parse(readFileSync(join(BASE, 'manifest.json'), 'utf8')));
const work = mkdtempSync(join(tmpdir(), 'faceptor-export-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('model package', () => {
  it('lists every file with its real size and sha256, and stores the encoder weights once', async () => {
    const out = join(work, 'pkg');
    const { manifest, plan } = await exportPackage(join(BASE, 'checkpoint.pth.tar'), out, {
      ...heads(),
      label: 'test',
    });
    expect(parseManifest(JSON.parse(readFileSync(join(out, 'faceptor.json'), 'utf8')))).toEqual(manifest);
    expect(readdirSync(out).sort()).toEqual([...manifest.files.map((f) => f.path), 'faceptor.json'].sort());
    for (const f of manifest.files) {
      expect(readFileSync(join(out, f.path)).length).toBe(f.size);
      expect(sha(join(out, f.path))).toBe(f.sha256);
    }
    expect(manifest.provenance.sourceSha256).toBe(sha(join(BASE, 'checkpoint.pth.tar')));
    expect(manifest.provenance.step).toBe(50000);
    expect(manifest.variant).toBe('base');
    expect(manifest.tasks.map((t) => t.name)).toEqual(plan.tasks);
    // The 12 blocks serve both sizes: stored twice, the parameter count would exceed the kept weights by the
    // whole backbone. Only small folded constants (position tables, anchor embeddings, soft-argmax tables) may be added.
    const kept = [...plan.keep.values()].reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
    const C = manifest.dims.vitWidth,
      D = manifest.dims.decoderWidth!;
    const constants = (1 + 49) * C + (1 + 1024) * C + (49 + 1024) * D + 4 * (28 + 128) + 2;
    expect(manifest.parameters).toBeLessThanOrEqual(kept + constants);
    expect([manifest.encoder.file, ...manifest.heads.map((h) => h.file)]).toEqual(['encoder.onnx', 'decoder.onnx']);
    expect(manifest.encoder.groups.map((g) => g.group)).toEqual([112, 512]);
  });

  for (const variant of ['faceptor_base', 'faceptor_layer_attention', 'naive_faceptor']) {
    it(`${variant}: every stored tensor is an initializer of exactly one graph (each weight held once per runtime)`, async () => {
      const dir = join(GOLDEN, variant);
      const out = join(work, `once-${variant}`);
      const { manifest } = await exportPackage(
        join(dir, 'checkpoint.pth.tar'),
        out,
        headOptionsFromManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))),
      );
      const owner = new Map<number, string>();
      for (const file of [manifest.encoder.file, ...manifest.heads.map((h) => h.file)]) {
        // ExternalDataInfo entries: key "offset" (field 1) then its value (field 2) as decimal text.
        const text = readFileSync(join(out, file)).toString('latin1');
        const offsets = [...text.matchAll(/\x0a\x06offset\x12[\s\S](\d+)/g)].map((m) => Number(m[1]));
        expect(offsets.length).toBeGreaterThan(0);
        for (const o of new Set(offsets)) {
          expect(owner.get(o), `tensor at ${o} is in ${owner.get(o)} and ${file}`).toBeUndefined();
          owner.set(o, file);
        }
      }
      // Host-fed constants are not initializers of any graph.
      for (const g of [...manifest.encoder.groups, ...manifest.heads.flatMap((h) => h.groups)]) {
        for (const f of g.feeds) if (f.offset !== undefined) expect(owner.has(f.offset)).toBe(false);
      }
      expect(manifest.heads.length).toBe(
        variant === 'naive_faceptor' ? new Set(manifest.tasks.map((t) => t.type)).size : 1,
      );
    });
  }

  it('fp16 with every matrix half halves weights.bin (vectors float32)', async () => {
    const a = await exportPackage(join(BASE, 'checkpoint.pth.tar'), join(work, 'p32'), heads());
    const b = await exportPackage(join(BASE, 'checkpoint.pth.tar'), join(work, 'p16'), {
      ...heads(),
      precision: 'fp16',
      keepFloat32: () => false,
    });
    // Host-fed constants (position tables, …) stay float32 in both: they are not weights the graphs cast.
    const fed = (m: typeof a.manifest) =>
      [...m.encoder.groups, ...m.heads.flatMap((h) => h.groups)]
        .flatMap((g) => g.feeds)
        .reduce((s, f) => s + (f.length ?? 0), 0);
    const size = (m: typeof a.manifest) => m.files.find((f) => f.path === 'weights.bin')!.size - fed(m);
    expect(fed(b.manifest)).toBe(fed(a.manifest));
    const ratio = size(b.manifest) / size(a.manifest);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(0.53);

    // The default plan (precision.ts) keeps exactly the matrices it names float32: 2 more bytes per value.
    const c = await exportPackage(join(BASE, 'checkpoint.pth.tar'), join(work, 'p16plan'), {
      ...heads(),
      precision: 'fp16',
    });
    const ckpt = await openCheckpoint(join(BASE, 'checkpoint.pth.tar'));
    let keptValues = 0;
    try {
      for (const [key, t] of ckpt.tensors) {
        const id = key.replace(/^module\./, '');
        // adapt_pos2d and level_embed are folded into the fed key positions (float32 inputs, not weights).
        if (t.shape.length > 1 && fp16KeepsFloat32(id) && !/query_(feat|embed)|adapt_pos2d|level_embed/.test(id))
          keptValues += t.shape.reduce((x, y) => x * y, 1);
      }
    } finally {
      await ckpt.close();
    }
    // Queries are stored once per package, concatenated over tasks: counted from the manifest's tasks.
    const D = c.manifest.dims.decoderWidth ?? 0;
    const queries = 2 * D * c.manifest.tasks.reduce((s, t) => s + (t.queryOffset !== null ? t.queries : 0), 0);
    expect(keptValues).toBeGreaterThan(0);
    expect(size(c.manifest) - size(b.manifest)).toBeGreaterThanOrEqual(2 * (keptValues + queries));
    expect(size(c.manifest) - size(b.manifest)).toBeLessThan(2 * (keptValues + queries) + 64 * 400); // ≤ alignment padding
  });

  it('a failure mid-export leaves no partial package and keeps the previous one intact', async () => {
    const out = join(work, 'atomic');
    await exportPackage(join(BASE, 'checkpoint.pth.tar'), out, { ...heads(), label: 'first' });
    const before = readFileSync(join(out, 'faceptor.json'), 'utf8');
    await expect(
      exportPackage(join(BASE, 'checkpoint.pth.tar'), out, {
        ...heads(),
        label: 'second',
        replace: true,
        onProgress: (done) => {
          if (done === 2) throw new Error('disk on fire');
        },
      }),
    ).rejects.toThrow('disk on fire');
    expect(readFileSync(join(out, 'faceptor.json'), 'utf8')).toBe(before);
    expect(readdirSync(work).filter((n) => n.includes('partial'))).toEqual([]);

    const fresh = join(work, 'never');
    await expect(
      exportPackage(join(BASE, 'checkpoint.pth.tar'), fresh, {
        ...heads(),
        onProgress: () => {
          throw new Error('boom');
        },
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(fresh)).toBe(false);
  });

  it('an unwritable output folder is a clear error with no partial package (CLI, non-zero exit)', () => {
    const parent = join(work, 'readonly');
    mkdirSync(parent);
    chmodSync(parent, 0o555);
    chmodSync(work, 0o755);
    // Root ignores permission bits: run the CLI as an unprivileged user then.
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'tools/export/cli.ts'),
        join(BASE, 'checkpoint.pth.tar'),
        '--out',
        join(parent, 'pkg'),
        '--vit-heads',
        String(heads().vitHeads),
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
        env: { ...process.env, TSX_DISABLE_CACHE: '1' },
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/output folder .*readonly is not writable/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('keeps public/models/index.json in step with the packages there', async () => {
    const models = join(work, 'site', 'public', 'models');
    await exportPackage(join(BASE, 'checkpoint.pth.tar'), join(models, 'a'), { ...heads(), label: 'A one' });
    await exportPackage(join(BASE, 'checkpoint.pth.tar'), join(models, 'b'), {
      ...heads(),
      label: 'B',
      precision: 'fp16',
      untrained: true,
    });
    await exportPackage(join(BASE, 'checkpoint.pth.tar'), join(models, 'a'), {
      ...heads(),
      label: 'A two',
      replace: true,
    });
    let index = JSON.parse(readFileSync(join(models, 'index.json'), 'utf8'));
    // The weights size (the picker shows each precision's download) and the checkpoint's sha256 (the picker groups
    // one checkpoint's precisions) come from each package's own manifest.
    const facts = (dir: string) => {
      const m = JSON.parse(readFileSync(join(models, dir, 'faceptor.json'), 'utf8'));
      return { weightsBytes: statSync(join(models, dir, 'weights.bin')).size, sourceSha256: m.provenance.sourceSha256 };
    };
    expect(index.packages).toEqual([
      {
        name: 'a',
        label: 'A two',
        variant: 'base',
        precision: 'fp32',
        untrained: false,
        manifest: 'a/faceptor.json',
        ...facts('a'),
      },
      {
        name: 'b',
        label: 'B',
        variant: 'base',
        precision: 'fp16',
        untrained: true,
        manifest: 'b/faceptor.json',
        ...facts('b'),
      },
    ]);
    rmSync(join(models, 'b'), { recursive: true });
    await exportPackage(join(BASE, 'checkpoint.pth.tar'), join(models, 'a'), {
      ...heads(),
      label: 'A three',
      replace: true,
    });
    index = JSON.parse(readFileSync(join(models, 'index.json'), 'utf8'));
    expect(index.packages.map((p: { name: string }) => p.name)).toEqual(['a']);
  });
});

describe('real-size checkpoints (full_size_keys.json, no weights)', () => {
  const variants = ['faceptor_base', 'faceptor_full', 'faceptor_layer_attention', 'naive_faceptor'];
  for (const v of variants) {
    it(`${v}: every inference key is read by the graphs with its real shape, and nothing else`, async () => {
      const info = JSON.parse(readFileSync(join(GOLDEN, v, 'full_size_keys.json'), 'utf8')) as {
        keys: { key: string; shape: number[]; dtype: string; category: string }[];
      };
      const strip = (k: string) => k.replace(/^module\./, '');
      const tensors = new Map(info.keys.map((k) => [strip(k.key), { shape: k.shape, dtype: k.dtype }]));
      const plan = planExport(tensors);
      const inference = info.keys.filter((k) => k.category === 'inference').map((k) => strip(k.key));
      const read = new Set<string>();
      const store = new WeightStore(null, 'fp32'); // dry run: nothing written
      const fileCount: string[] = [];
      await buildPackageGraphs(
        {
          shape: (k) => tensors.get(k)?.shape,
          read: async (k) => {
            const t = tensors.get(k);
            if (!t) throw new Error(`graph asked for unknown key ${k}`);
            read.add(k);
            return new Float32Array(t.shape.reduce((a, b) => a * b, 1));
          },
        },
        plan,
        store,
        async (file) => {
          fileCount.push(file);
        },
      );
      await store.close();
      expect([...read].sort()).toEqual(inference.sort());
      // one encoder, then one decoder graph (Faceptor) or one graph per task type (Naive)
      expect(fileCount.length).toBe(
        1 + (plan.variant === 'naive' ? new Set(plan.tasks.map((t) => TASKS[t].type)).size : 1),
      );
    }, 300_000);
  }
});
