/**
 * The Layer-Attention decoder graph's extra output `cross_attention` [N, decoderLayers, Q, levels·S²] (per task: its
 * rows of the batched output, here from runs carrying one task's queries), checked on the
 * golden Layer-Attention fixture against an independent float64 decoder written from docs/model.md §5 (not
 * from the exporter's graph code): it reads the checkpoint weights directly, takes the key positions of level 0
 * from the golden `decoder/pos_7x7_level0` tensor, and is itself validated against the golden `decoder_output`
 * of the official model before its attention weights are trusted.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYER_ATTENTION_BLOCKS, TASKS, type TaskName } from '../../../src/core/faceptor/tasks.ts';
import type { FaceptorManifest } from '../../../src/core/faceptor/manifest.ts';
import { openCheckpoint, type Checkpoint } from '../checkpoint/index.ts';
import { halfToFloat } from '../onnx/fp16.ts';
import { exportPackage } from '../package/export.ts';
import { headOptionsFromManifest } from '../plan/index.ts';
import { runPackage, type RunGraph, type Tensor } from '../package/run-package.ts';

const GOLDEN = join(
  process.env.FACEPTOR_GOLDEN ?? join(import.meta.dirname, '../../../../shared/golden'),
  'faceptor_layer_attention',
);
const DEC = 'heads_module.decoder';

interface GoldenTensor {
  name: string;
  file: string;
  dtype: string;
  shape: number[];
  role: string;
  abs_max?: number;
}

let work: string;
let manifest: FaceptorManifest;
let ckpt: Checkpoint;
let golden: GoldenTensor[];
let weights: Uint8Array;
/** Golden input batch per group. */
const inputs = new Map<number, Tensor>();
const sessions = new Map<string, ort.InferenceSession>();
/** Encoder outputs of the 112 batch as maps [N, C, S, S]: feat_<block> → tensor. */
const feats = new Map<number, Record<string, Tensor>>();

async function goldenFloats(name: string): Promise<{ t: GoldenTensor; data: Float32Array }> {
  const t = golden.find((x) => x.name === name);
  if (!t) throw new Error(`golden set has no ${name}`);
  const b = await readFile(join(GOLDEN, t.file));
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice().buffer;
  return {
    t,
    data: t.dtype === 'float16' ? Float32Array.from(new Uint16Array(bytes), halfToFloat) : new Float32Array(bytes),
  };
}

const w = (key: string): Promise<Float32Array> => ckpt.tensors.get(key)!.read();

const runGraph: RunGraph = async (file, feeds, fetches) => {
  let s = sessions.get(file);
  if (!s) {
    s = await ort.InferenceSession.create(join(work, 'pkg', file), { logSeverityLevel: 3 });
    sessions.set(file, s);
  }
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor(v.type, v.data, [...v.dims]);
  const out = await s.run(f, fetches);
  return Object.fromEntries(fetches.map((k) => [k, { data: out[k].data as Float32Array, dims: [...out[k].dims] }]));
};

/** One task alone through the package (the decoder run carries only its queries), outputs by name. */
async function runTask(task: TaskName, fetches?: string[]): Promise<Record<string, Tensor>> {
  const { results } = await runPackage(manifest, weights, inputs, runGraph, { tasks: [task], outputs: fetches });
  return Object.fromEntries(
    [...results].filter(([k]) => k.startsWith(`${task}/`)).map(([k, v]) => [k.slice(task.length + 1), v]),
  );
}

beforeAll(async () => {
  if (!existsSync(join(GOLDEN, 'checkpoint.pth.tar')))
    throw new Error(`golden Layer-Attention fixture missing at ${GOLDEN}`);
  const gm = JSON.parse(await readFile(join(GOLDEN, 'manifest.json'), 'utf8'));
  golden = gm.tensors;
  work = await mkdtemp(join(tmpdir(), 'faceptor-xattn-'));
  ({ manifest } = await exportPackage(join(GOLDEN, 'checkpoint.pth.tar'), join(work, 'pkg'), {
    ...headOptionsFromManifest(gm),
    label: 'golden fixture — random weights (layer attention)',
    untrained: true,
  }));
  ckpt = await openCheckpoint(join(GOLDEN, 'checkpoint.pth.tar'));
  weights = new Uint8Array(await readFile(join(work, 'pkg', manifest.weights)));
  for (const input of golden.filter((t) => t.role === 'input'))
    inputs.set(input.shape[2], { data: (await goldenFloats(input.name)).data, dims: input.shape });
  const { results } = await runPackage(manifest, weights, inputs, runGraph, { tasks: ['age_morph2'] });
  feats.set(
    112,
    Object.fromEntries(
      [...results].filter(([k]) => k.startsWith('encoder112/')).map(([k, v]) => [k.slice('encoder112/'.length), v]),
    ),
  );
}, 60_000);

afterAll(async () => {
  for (const s of sessions.values()) await s.release();
  await ckpt?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

// --------------------------------------------------------------- independent float64 decoder (docs/model.md §5.1–§5.4)

type M = Float64Array; // row-major matrices

/** x [rows, I] · Wᵀ + b with W [O, I] as stored by PyTorch (rows o of `w` starting at `wOff`). */
function lin(x: M, rows: number, I: number, wt: Float32Array, b: Float32Array, O: number, wOff = 0, bOff = 0): M {
  const y = new Float64Array(rows * O);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < O; o++) {
      let s = b[bOff + o];
      for (let i = 0; i < I; i++) s += x[r * I + i] * wt[(wOff + o) * I + i];
      y[r * O + o] = s;
    }
  return y;
}

const addM = (a: M, b: M): M => a.map((v, i) => v + b[i]);

function layerNormRows(x: M, rows: number, D: number, g: Float32Array, b: Float32Array): M {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let mean = 0,
      v = 0;
    for (let d = 0; d < D; d++) mean += x[r * D + d];
    mean /= D;
    for (let d = 0; d < D; d++) v += (x[r * D + d] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / D + 1e-5);
    for (let d = 0; d < D; d++) y[r * D + d] = (x[r * D + d] - mean) * inv * g[d] + b[d];
  }
  return y;
}

/** PyTorch MultiheadAttention (packed in_proj rows q|k|v, contiguous head blocks); also the head-averaged weights. */
async function mha(
  prefix: string,
  q: M,
  k: M,
  v: M,
  Lq: number,
  Lk: number,
  D: number,
  heads: number,
): Promise<{ out: M; weights: M }> {
  const [W, B] = [await w(`${prefix}.in_proj_weight`), await w(`${prefix}.in_proj_bias`)];
  const qp = lin(q, Lq, D, W, B, D, 0, 0);
  const kp = lin(k, Lk, D, W, B, D, D, D);
  const vp = lin(v, Lk, D, W, B, D, 2 * D, 2 * D);
  const dh = D / heads;
  const o = new Float64Array(Lq * D);
  const mean = new Float64Array(Lq * Lk);
  const row = new Float64Array(Lk);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < Lq; i++) {
      let max = -Infinity;
      for (let j = 0; j < Lk; j++) {
        let s = 0;
        for (let d = h * dh; d < (h + 1) * dh; d++) s += qp[i * D + d] * kp[j * D + d];
        row[j] = s / Math.sqrt(dh);
        max = Math.max(max, row[j]);
      }
      let z = 0;
      for (let j = 0; j < Lk; j++) z += row[j] = Math.exp(row[j] - max);
      for (let j = 0; j < Lk; j++) {
        const p = row[j] / z;
        mean[i * Lk + j] += p / heads;
        for (let d = h * dh; d < (h + 1) * dh; d++) o[i * D + d] += p * vp[j * D + d];
      }
    }
  return {
    out: lin(o, Lq, D, await w(`${prefix}.out_proj.weight`), await w(`${prefix}.out_proj.bias`), D),
    weights: mean,
  };
}

/**
 * The decoder for one image n of the 112 batch: returns decoder_output [Q, D] and the head-averaged
 * cross-attention weights of every layer [Q, 6·S²], keys in LAYER_ATTENTION_BLOCKS order.
 */
async function referenceDecoder(task: TaskName, n: number): Promise<{ output: M; attention: M[] }> {
  const f = feats.get(112)!;
  const [, C, S] = f.feat_11.dims as number[];
  const T = S * S;
  const [Q, D] = ckpt.tensors.get(`${DEC}.query_feat.${task}.weight`)!.shape;
  const heads = manifest.dims.decoderHeads!;
  // Key positions: level 0 straight from the golden tensor; A_S = pos0 − level_embed, then + new_level_embed[j−1].
  const pos0 = (await goldenFloats('decoder/pos_7x7_level0')).data; // [T, 1, D]
  expect(S).toBe(7);
  const le = await w(`${DEC}.level_embed.weight`);
  const nle = await w(`${DEC}.new_level_embed.weight`);
  const L = LAYER_ATTENTION_BLOCKS.length;
  const memV = new Float64Array(L * T * D);
  const memK = new Float64Array(L * T * D);
  for (let j = 0; j < L; j++) {
    const fm = f[`feat_${LAYER_ATTENTION_BLOCKS[j]}`].data as Float32Array; // [N, C, S, S]
    const proj = j === 0 ? `${DEC}.input_proj.0` : `${DEC}.new_input_proj.${j - 1}`;
    const tokens = new Float64Array(T * C);
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) tokens[t * C + c] = fm[(n * C + c) * T + t];
    const src = lin(tokens, T, C, await w(`${proj}.weight`), await w(`${proj}.bias`), D); // 1×1 conv
    for (let t = 0; t < T; t++)
      for (let d = 0; d < D; d++) {
        const at = (j * T + t) * D + d;
        const level = j === 0 ? le[d] : nle[(j - 1) * D + d];
        memV[at] = src[t * D + d];
        memK[at] = src[t * D + d] + pos0[t * D + d] - le[d] + level;
      }
  }
  let tgt: M = Float64Array.from(await w(`${DEC}.query_feat.${task}.weight`));
  const qpos = Float64Array.from(await w(`${DEC}.query_embed.${task}.weight`));
  const attention: M[] = [];
  for (let i = 0; ckpt.tensors.has(`${DEC}.transformer_cross_attention_layers.${i}.norm.weight`); i++) {
    const ca = `${DEC}.transformer_cross_attention_layers.${i}`;
    const c = await mha(`${ca}.multihead_attn`, addM(tgt, qpos), memK, memV, Q, L * T, D, heads);
    attention.push(c.weights);
    tgt = layerNormRows(addM(tgt, c.out), Q, D, await w(`${ca}.norm.weight`), await w(`${ca}.norm.bias`));
    const sa = `${DEC}.transformer_self_attention_layers.${i}`;
    const qk = addM(tgt, qpos);
    const s = await mha(`${sa}.self_attn`, qk, qk, tgt, Q, Q, D, heads);
    tgt = layerNormRows(addM(tgt, s.out), Q, D, await w(`${sa}.norm.weight`), await w(`${sa}.norm.bias`));
    const ff = `${DEC}.transformer_ffn_layers.${i}`;
    const F = ckpt.tensors.get(`${ff}.linear1.weight`)!.shape[0];
    const h = lin(tgt, Q, D, await w(`${ff}.linear1.weight`), await w(`${ff}.linear1.bias`), F).map((x) =>
      Math.max(0, x),
    );
    const y = lin(h, Q, F, await w(`${ff}.linear2.weight`), await w(`${ff}.linear2.bias`), D);
    tgt = layerNormRows(addM(tgt, y), Q, D, await w(`${ff}.norm.weight`), await w(`${ff}.norm.bias`));
  }
  return { output: tgt, attention };
}

// ------------------------------------------------------------------------------------------------ tests

describe('cross_attention output (Layer-Attention golden fixture)', () => {
  it('is listed after the head outputs of every decoder task, [N, decoderLayers, Q, levels·S²]; decoderLevels = 6', async () => {
    expect(manifest.variant).toBe('layer_attention');
    expect(manifest.dims.decoderLevels).toBe(LAYER_ATTENTION_BLOCKS.length);
    const layers = manifest.dims.decoderLayers!;
    expect(layers).toBe(9); // docs/testing.md §5: 9 decoder layers
    for (const t of manifest.tasks) {
      const names = t.outputs.map((o) => o.name);
      if (TASKS[t.name].type === 'recog') {
        expect(names).not.toContain('cross_attention');
        continue;
      }
      expect(names.at(-1)).toBe('cross_attention');
      expect(names.indexOf('cross_attention')).toBe(names.length - 1);
      expect(t.outputs.at(-1)).toEqual({
        name: 'cross_attention',
        from: 'cross_attention',
        dims: ['N', layers, 'Q', 'K'],
      });
      // the ONNX graph declares it too (a session can fetch it by name)
      const s = await ort.InferenceSession.create(
        join(work, 'pkg', manifest.heads.find((h) => h.name === t.graph)!.file),
        { logSeverityLevel: 3 },
      );
      expect(s.outputNames).toContain('cross_attention');
      await s.release();
    }
    // and the shapes of a real run: [N, layers, Q, levels·S²] per task
    for (const task of ['age_morph2', 'align_cofw'] as const) {
      const S = TASKS[task].group / manifest.dims.patch;
      expect((await runTask(task, ['cross_attention'])).cross_attention.dims).toEqual([
        inputs.get(TASKS[task].group)!.dims[0],
        layers,
        manifest.tasks.find((t) => t.name === task)!.queries,
        6 * S * S,
      ]);
    }
  });

  it('the independent decoder reproduces the official decoder_output (so its attention weights can be trusted)', async () => {
    const { t, data } = await goldenFloats('age_morph2/decoder_output'); // [Q, N, D]
    const [Q, N, D] = t.shape;
    let worst = 0;
    for (let n = 0; n < N; n++) {
      const { output } = await referenceDecoder('age_morph2', n);
      for (let q = 0; q < Q; q++)
        for (let d = 0; d < D; d++) worst = Math.max(worst, Math.abs(output[q * D + d] - data[(q * N + n) * D + d]));
    }
    expect(worst).toBeLessThanOrEqual(1e-4 + 1e-4 * t.abs_max!);
  }, 30_000);

  for (const task of ['age_morph2', 'affect_rafdb'] as const) {
    it(`${task}: every layer's weights equal the head-averaged softmax of the reference decoder, keys level by level`, async () => {
      const a = (await runTask(task, ['cross_attention'])).cross_attention;
      const [N, layers, Q, K] = a.dims as number[];
      const data = a.data as Float32Array;
      let worst = 0;
      for (let n = 0; n < N; n++) {
        const { attention } = await referenceDecoder(task, n);
        expect(attention).toHaveLength(layers);
        for (let l = 0; l < layers; l++)
          for (let i = 0; i < Q * K; i++) {
            worst = Math.max(worst, Math.abs(data[(n * layers + l) * Q * K + i] - attention[l][i]));
          }
      }
      // float32 graph vs float64 reference: measured worst 9.3e-7 (age_morph2). The mean weight is 1/294, and a
      // wrong level order or a single head instead of the mean is off by ~1e-3.
      expect(worst).toBeLessThan(5e-6);
    }, 30_000);
  }

  it('a wrong key order would be caught: the level blocks carry clearly different mass', async () => {
    // Guards the test above against a degenerate fixture where every level looks alike.
    const a = (await runTask('affect_rafdb', ['cross_attention'])).cross_attention;
    const [, layers, Q, K] = a.dims as number[];
    const T = K / 6;
    const data = a.data as Float32Array;
    const mass = new Float64Array(6);
    for (let r = 0; r < layers * Q; r++)
      for (let j = 0; j < 6; j++) for (let t = 0; t < T; t++) mass[j] += data[r * K + j * T + t];
    const shares = Array.from(mass, (m) => m / (layers * Q));
    expect(Math.max(...shares) - Math.min(...shares)).toBeGreaterThan(0.01);
  });

  for (const task of ['biattr_celeba', 'parsing_lapa', 'align_cofw'] as const) {
    it(`${task}: rows are softmax rows (non-negative, sum 1 over levels·S²) and fetching it leaves the head outputs bit-identical`, async () => {
      const g = manifest.tasks.find((t) => t.name === task)!;
      const heads = g.outputs.map((o) => o.name).filter((n) => n !== 'cross_attention');
      const plain = await runTask(task, heads);
      const all = await runTask(task);
      const a = all.cross_attention;
      const S = g.group / manifest.dims.patch;
      expect(a.dims).toEqual([inputs.get(g.group)!.dims[0], manifest.dims.decoderLayers, g.queries, 6 * S * S]);
      const K = 6 * S * S;
      const data = a.data as Float32Array;
      let worst = 0,
        negative = 0;
      for (let r = 0; r < data.length / K; r++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const v = data[r * K + k];
          if (!(v >= 0)) negative++;
          s += v;
        }
        worst = Math.max(worst, Math.abs(s - 1));
      }
      expect(negative).toBe(0);
      expect(worst).toBeLessThan(1e-5);
      for (const h of heads)
        expect(
          Buffer.from((all[h].data as Float32Array).buffer).equals(Buffer.from((plain[h].data as Float32Array).buffer)),
        ).toBe(true);
    }, 30_000);
  }
});
