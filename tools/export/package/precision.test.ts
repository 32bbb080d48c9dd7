import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { headOptionsFromManifest } from '../plan/index.ts';
import { runOnGoldenInputs } from '../precision-check.ts';
import { exportPackage } from './export.ts';
import type { Tensor } from './run-package.ts';
import { fp16KeepsFloat32 } from './precision.ts';
import { WeightStore } from './weights.ts';
import { constFeedTensors } from '../../../src/core/faceptor/batch.ts';
import type { FaceptorManifest } from '../../../src/core/faceptor/manifest.ts';

describe('fp16 storage plan (measured at real size, precision.ts)', () => {
  it('keeps the decoder attention, input projections, queries and the patch embedding float32', () => {
    for (const id of [
      'heads_module.decoder.transformer_cross_attention_layers.8.multihead_attn.in_proj_weight#0^T*0.17677669529663687',
      'heads_module.decoder.transformer_self_attention_layers.0.self_attn.out_proj.weight^T',
      'heads_module.decoder.input_proj.0.weight^T',
      'heads_module.decoder.new_input_proj.4.weight^T',
      'heads_module.decoder.query_feat[align_cofw]',
      'backbone_module.visual.conv1.weight',
    ])
      expect(fp16KeepsFloat32(id), id).toBe(true);
  });
  it('stores the encoder blocks, the decoder FFNs and the interpreters as half', () => {
    for (const id of [
      'backbone_module.visual.transformer.resblocks.11.mlp.c_fc.weight^T',
      'backbone_module.visual.transformer.resblocks.0.attn.in_proj_weight#1^T*1',
      'heads_module.decoder.transformer_ffn_layers.3.linear1.weight^T',
      'heads_module.interpreters.map_v2.mask_embed.layers.2.weight^T',
      'heads_module.heads.parsing.conv_seg.weight',
    ])
      expect(fp16KeepsFloat32(id), id).toBe(false);
  });
  it('WeightStore writes a kept matrix as float32 and the others as half', async () => {
    const store = new WeightStore(null, 'fp16', (id) => id === 'keep');
    const m = async () => ({ data: new Float32Array(6).fill(0.1), dims: [2, 3] });
    expect((await store.put('keep', m)).dtype).toBe('float32');
    expect((await store.put('half', m)).dtype).toBe('float16');
    expect((await store.put('keep', m)).length).toBe(24);
    const fp32 = new WeightStore(null, 'fp32', () => false);
    expect((await fp32.put('half', m)).dtype).toBe('float32');
  });
  it('stores host-fed constants (feed) half only in q8/q4 packages, never quantized (issue 11)', async () => {
    // A [1, T, C]-shaped table like the position table: C = 64 would be a quantizable width for a MatMul weight.
    const table = async () => ({ data: new Float32Array(2 * 64).fill(0.1), dims: [1, 2, 64] });
    const mm = async () => ({ data: new Float32Array(64 * 64).fill(0.1), dims: [64, 64] });
    for (const [precision, dtype] of [
      ['fp32', 'float32'],
      ['fp16', 'float32'],
      ['q8', 'float16'],
      ['q4', 'float16'],
    ] as const) {
      const store = new WeightStore(null, precision, () => false);
      const ref = await store.put('pos', table, { feed: true });
      expect(ref.dtype, precision).toBe(dtype);
      expect(ref.quant, precision).toBeUndefined();
      expect(ref.length, precision).toBe(2 * 64 * (dtype === 'float16' ? 2 : 4));
      // A MatMul-weight id is still never quantized when it is fed by the host.
      expect((await store.put('w^T', mm, { feed: true })).quant, precision).toBeUndefined();
      // A table half cannot hold (|v| > 65504 would become ±Inf) stays float32.
      const big = async () => ({ data: Float32Array.of(1, -70000), dims: [2] });
      expect((await store.put('big', big, { feed: true })).dtype, precision).toBe('float32');
      const edge = async () => ({ data: Float32Array.of(1, -65504), dims: [2] });
      expect((await store.put('edge', edge, { feed: true })).dtype, precision).toBe(dtype);
    }
  });
});

describe('q8/q4 packages (golden Full fixture, onnxruntime-node)', () => {
  const FULL = join(import.meta.dirname, '../../../../shared/golden/faceptor_full');
  const work = mkdtempSync(join(tmpdir(), 'faceptor-quant-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /**
   * Bounds ≈ 2× the worst measured on this fixture (landmarks in crop-normalised units: q8 1.7e-3, q4 1.8e-2;
   * identity cosine q8 0.99985, q4 0.969). The fixture's widths (64) make one block per column, so these only guard
   * against regressions; the real-size fidelity is the README table (precision-check.ts --photos).
   */
  const BOUNDS = { q8: { landmark: 4e-3, cosine: 0.9995 }, q4: { landmark: 4e-2, cosine: 0.93 } } as const;

  it('run MatMulNBits on the MatMul weights and stay near the fp32 package', async () => {
    const gm = JSON.parse(readFileSync(join(FULL, 'manifest.json'), 'utf8'));
    const out: Record<
      string,
      {
        results: Map<string, Tensor>;
        size: number;
        encoder: string;
        fused: string;
        manifest: FaceptorManifest;
        weights: Uint8Array;
      }
    > = {};
    for (const precision of ['fp32', 'q8', 'q4'] as const) {
      const dir = join(work, precision);
      const { manifest } = await exportPackage(join(FULL, 'checkpoint.pth.tar'), dir, {
        ...headOptionsFromManifest(gm),
        precision,
      });
      expect(manifest.precision).toBe(precision);
      out[precision] = {
        results: await runOnGoldenInputs(dir, manifest, FULL),
        size: manifest.files.find((f) => f.path === manifest.weights)!.size,
        encoder: readFileSync(join(dir, manifest.encoder.file)).toString('latin1'),
        fused: manifest.fused.join('; '),
        manifest,
        weights: readFileSync(join(dir, manifest.weights)),
      };
    }
    expect(out.fp32.encoder).not.toContain('MatMulNBits');
    for (const precision of ['q8', 'q4'] as const) {
      expect(out[precision].encoder).toContain('MatMulNBits');
      // Blocks of 32: the only size onnxruntime's WebGPU EP runs with its tiled kernel (weight-store.ts QUANT).
      expect(out[precision].fused).toMatch(/\(block 32,/);
      let landmark = 0,
        cosine = 1;
      for (const [name, ref] of out.fp32.results) {
        const got = out[precision].results.get(name)!.data;
        expect(got.every(Number.isFinite), name).toBe(true);
        if (name.endsWith('/landmark'))
          ref.data.forEach((v, i) => {
            landmark = Math.max(landmark, Math.abs(v - got[i]));
          });
        if (name.endsWith('/embedding')) {
          let d = 0,
            a = 0,
            b = 0;
          ref.data.forEach((v, i) => {
            d += v * got[i];
            a += v * v;
            b += got[i] * got[i];
          });
          cosine = Math.min(cosine, d / Math.sqrt(a * b));
        }
      }
      expect(landmark, `${precision} landmarks`).toBeLessThanOrEqual(BOUNDS[precision].landmark);
      expect(landmark, `${precision} landmarks differ at all`).toBeGreaterThan(0);
      expect(cosine, `${precision} identity cosine`).toBeGreaterThanOrEqual(BOUNDS[precision].cosine);
    }
    // Host-fed constants (position tables, key positions, soft-argmax tables): float32 in fp32 packages, half in
    // q8/q4 (issue 11); fed as float32 either way, the half ones within half's rounding of the float32 values.
    const feedsOf = (p: string) => {
      const m = out[p].manifest;
      return [m.encoder, ...m.heads].flatMap((g) =>
        g.groups.map((gr) => ({ key: `${g.file}@${gr.group}`, feeds: gr.feeds })),
      );
    };
    const ref = feedsOf('fp32');
    expect(ref.flatMap((g) => g.feeds.map((f) => f.type))).not.toContain('float16');
    for (const precision of ['q8', 'q4'] as const) {
      const got = feedsOf(precision);
      expect(got.map((g) => g.key)).toEqual(ref.map((g) => g.key));
      let floatFeeds = 0;
      got.forEach((g, i) => {
        const want = constFeedTensors(ref[i].feeds, out.fp32.weights);
        const have = constFeedTensors(g.feeds, out[precision].weights);
        for (const f of g.feeds) {
          if (f.type === 'int64') continue;
          floatFeeds++;
          expect(f.type, `${precision} ${g.key} ${f.name}`).toBe('float16');
          expect(have[f.name].type).toBe('float32');
          const a = have[f.name].data as Float32Array,
            b = want[f.name].data as Float32Array;
          expect(a.length).toBe(b.length);
          // Round to nearest half: relative error ≤ 2⁻¹¹ for normals, absolute ≤ 2⁻²⁵ below 2⁻¹⁴.
          b.forEach((v, k) =>
            expect(Math.abs(a[k] - v), `${f.name}[${k}]`).toBeLessThanOrEqual(
              Math.max(Math.abs(v) * 2 ** -11, 2 ** -25),
            ),
          );
        }
      });
      expect(floatFeeds, precision).toBeGreaterThanOrEqual(2); // at least the two position tables
    }
    expect(out.q4.size).toBeLessThan(out.q8.size);
    expect(out.q8.size).toBeLessThan(0.45 * out.fp32.size);
  }, 240_000);
});
