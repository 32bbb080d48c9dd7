/**
 * The ONNX writer and the graph ops, run by onnxruntime-node on tiny random weights and compared with
 * hand-written float64 references (not with the code's own output).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { floatToHalfBits } from './fp16.ts';
import { Graph } from './graph.ts';
import { Params, type TensorSource } from '../graphs/params.ts';
import { multiheadAttention, selfAttention } from '../graphs/layers.ts';
import { softArgmaxFixed } from '../graphs/heads-common.ts';
import { QUANT, WeightStore } from '../package/weights.ts';
import { dequantizeBlockwise, quantizeBlockwise } from './quant.ts';

const dir = mkdtempSync(join(tmpdir(), 'onnx-writer-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31 - 0.5;
};
const randArr = (n: number, scale = 1) => Float32Array.from({ length: n }, () => rand() * 2 * scale);

async function run(
  g: Graph,
  feeds: Record<string, [Float32Array, number[]]>,
  file?: string,
): Promise<Record<string, ort.Tensor>> {
  const bytes = g.toBytes({ name: 'test', version: '0' });
  const session = file
    ? (writeFileSync(join(dir, file), bytes), await ort.InferenceSession.create(join(dir, file)))
    : await ort.InferenceSession.create(bytes);
  const out = await session.run(
    Object.fromEntries(Object.entries(feeds).map(([k, [d, dims]]) => [k, new ort.Tensor('float32', d, dims)])),
  );
  await session.release();
  return out;
}

describe('fp16 conversion', () => {
  it('matches IEEE half bit patterns', () => {
    expect(floatToHalfBits(1)).toBe(0x3c00);
    expect(floatToHalfBits(-2)).toBe(0xc000);
    expect(floatToHalfBits(65504)).toBe(0x7bff);
    expect(floatToHalfBits(65520)).toBe(0x7c00); // rounds past the largest half: Inf
    expect(floatToHalfBits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(floatToHalfBits(2 ** -26)).toBe(0x0000); // below half of it: zero
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(floatToHalfBits(0.1)).toBe(0x2e66);
  });
});

describe('graph writer', () => {
  it('writes MatMul/Add/LayerNormalization/QuickGelu that ORT runs exactly as the maths says', async () => {
    const g = new Graph('t');
    const x = g.input('x', ['N', 3, 4]);
    const w = randArr(4 * 5),
      b = randArr(5),
      gamma = randArr(5),
      beta = randArr(5);
    const y = g.quickGelu(g.layerNorm(g.linear(x, g.f32(w, [4, 5]), g.f32(b, [5])), g.f32(gamma), g.f32(beta), 1e-5));
    g.output(y, 'y', ['N', 3, 5]);
    const xs = randArr(2 * 3 * 4, 2);
    const out = (await run(g, { x: [xs, [2, 3, 4]] })).y;
    expect(out.dims).toEqual([2, 3, 5]);
    const got = out.data as Float32Array;
    for (let r = 0; r < 6; r++) {
      const h = Array.from(
        { length: 5 },
        (_, o) => b[o] + [0, 1, 2, 3].reduce((s, i) => s + xs[r * 4 + i] * w[i * 5 + o], 0),
      );
      const mean = h.reduce((a, v) => a + v, 0) / 5;
      const v = h.reduce((a, t) => a + (t - mean) ** 2, 0) / 5;
      for (let o = 0; o < 5; o++) {
        const z = ((h[o] - mean) / Math.sqrt(v + 1e-5)) * gamma[o] + beta[o];
        expect(got[r * 5 + o]).toBeCloseTo(z / (1 + Math.exp(-1.702 * z)), 5);
      }
    }
  });

  it('reads external weights by offset from one shared file, fp32 and fp16 (Cast on load)', async () => {
    for (const precision of ['fp32', 'fp16'] as const) {
      const store = new WeightStore(join(dir, 'weights.bin'), precision);
      const pad = await store.put('first', async () => ({ data: randArr(7), dims: [7] }));
      const w = randArr(3 * 2);
      const ref = await store.put('w', async () => ({ data: w, dims: [3, 2] }));
      expect(
        await store.put('w', async () => {
          throw new Error('must not be produced twice');
        }),
      ).toBe(ref);
      expect(ref.offset % 64).toBe(0);
      expect(ref.offset).toBeGreaterThanOrEqual(pad.length);
      expect(ref.length).toBe(precision === 'fp16' ? 12 : 24);
      store.close();
      const g = new Graph('t');
      const x = g.input('x', [1, 3]);
      g.output(g.matmul(x, g.weight('w', ref)), 'y', [1, 2]);
      const xs = Float32Array.from([1, -2, 0.5]);
      const got = (await run(g, { x: [xs, [1, 3]] }, `ext_${precision}.onnx`)).y.data as Float32Array;
      for (let o = 0; o < 2; o++) {
        const expected = xs[0] * w[o] + xs[1] * w[2 + o] + xs[2] * w[4 + o];
        expect(Math.abs(got[o] - expected)).toBeLessThan(precision === 'fp16' ? 2e-3 : 1e-6);
      }
    }
  });
});

describe('block-quantized MatMul weights (q8/q4, com.microsoft.MatMulNBits)', () => {
  it('quantize → dequantize stays within half a step per weight, 0 stays 0, 4-bit nibbles in MatMulNBits order', () => {
    const K = 64,
      N = 3;
    const w = randArr(K * N).map((v, i) => (i % 7 === 0 ? 0 : v));
    for (const [bits, block] of [
      [8, 32],
      [4, 32],
      [4, 16],
    ] as const) {
      const qz = quantizeBlockwise(w, K, N, bits, block);
      expect(qz.packed.length).toBe((N * K * bits) / 8);
      const back = dequantizeBlockwise(qz, K, N, bits, block);
      for (let k = 0; k < K; k++)
        for (let n = 0; n < N; n++) {
          const scale = qz.scales[n * (K / block) + Math.floor(k / block)];
          expect(Math.abs(back[k * N + n] - w[k * N + n])).toBeLessThanOrEqual(scale / 2 + 1e-7);
          if (w[k * N + n] === 0) expect(back[k * N + n]).toBe(0);
        }
    }
    // One block of 4-bit codes by hand: values −7s..7s → codes 1..15, element 0 in the low nibble.
    const tiny = Float32Array.from({ length: 16 }, (_, i) => i - 7 - (i > 14 ? 1 : 0)); // −7 … 7, 7
    const q = quantizeBlockwise(tiny, 16, 1, 4, 16);
    expect(q.scales[0]).toBe(1);
    expect(q.packed[0]).toBe(1 | (2 << 4)); // −7 → 1, −6 → 2
  });

  it('onnxruntime runs the quantized weight as MatMulNBits and gives x·dequant(W), q8 and q4', async () => {
    for (const precision of ['q8', 'q4'] as const) {
      const K = 128,
        N = 24;
      const store = new WeightStore(join(dir, `q-${precision}.bin`), precision);
      const w = randArr(K * N);
      const ref = await store.put('lin.weight^T', async () => ({ data: w, dims: [K, N] }));
      const plain = await store.put('table', async () => ({ data: w, dims: [K, N] })); // not a MatMul weight: half
      store.close();
      expect(ref.dtype).toBe('uint8');
      expect(plain.dtype).toBe('float16');
      const { bits, block } = QUANT[precision];
      expect(ref.length).toBe((K * N * bits) / 8);
      const g = new Graph('t');
      const x = g.input('x', [2, 5, K]);
      const wq = g.weight('lin.weight^T', { ...ref, location: `q-${precision}.bin` });
      expect(() => g.add(wq, wq)).toThrow(/quantized weight .* used by Add/);
      g.output(g.matmul(x, wq), 'y', [2, 5, N]);
      expect(g.opsUsed.has('com.microsoft.MatMulNBits')).toBe(true);
      const xs = randArr(2 * 5 * K);
      const got = (await run(g, { x: [xs, [2, 5, K]] }, `q_${precision}.onnx`)).y.data as Float32Array;
      const wd = dequantizeBlockwise(quantizeBlockwise(w, K, N, bits, block), K, N, bits, block);
      let worst = 0,
        err = 0;
      for (let r = 0; r < 10; r++)
        for (let n = 0; n < N; n++) {
          let exact = 0,
            deq = 0;
          for (let k = 0; k < K; k++) {
            exact += xs[r * K + k] * w[k * N + n];
            deq += xs[r * K + k] * wd[k * N + n];
          }
          worst = Math.max(worst, Math.abs(got[r * N + n] - deq));
          err = Math.max(err, Math.abs(got[r * N + n] - exact));
        }
      expect(worst).toBeLessThan(1e-4); // ORT computes with exactly the dequantized weights
      expect(err).toBeGreaterThan(0); // and they are not the float32 ones
    }
  });
});

describe('graph ops', () => {
  /** float64 reference of torch.nn.MultiheadAttention for one query row against N·Lk keys/values. */
  function referenceMha(
    t: Record<string, Float32Array>,
    E: number,
    H: number,
    qRow: Float32Array,
    kvs: Float32Array,
    n: number,
    Lk: number,
  ): number[] {
    const dh = E / H;
    const W = t['a.in_proj_weight'],
      B = t['a.in_proj_bias'];
    const proj = (x: Float32Array, off: number, part: number) =>
      Array.from(
        { length: E },
        (_, o) =>
          B[part * E + o] +
          Array.from({ length: E }, (_, i) => x[off + i] * W[(part * E + o) * E + i]).reduce((a, b) => a + b, 0),
      );
    const qi = proj(qRow, 0, 0);
    const ks = Array.from({ length: Lk }, (_, j) => proj(kvs, (n * Lk + j) * E, 1));
    const vs = Array.from({ length: Lk }, (_, j) => proj(kvs, (n * Lk + j) * E, 2));
    const concat: number[] = [];
    for (let h = 0; h < H; h++) {
      const sc = ks.map((k) => {
        let d = 0;
        for (let c = 0; c < dh; c++) d += qi[h * dh + c] * k[h * dh + c];
        return d / Math.sqrt(dh);
      });
      const m = Math.max(...sc);
      const e = sc.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let c = 0; c < dh; c++) concat.push(vs.reduce((a, v, j) => a + (e[j] / z) * v[h * dh + c], 0));
    }
    return Array.from(
      { length: E },
      (_, o) => t['a.out_proj.bias'][o] + concat.reduce((a, v, c) => a + v * t['a.out_proj.weight'][o * E + c], 0),
    );
  }

  function mhaWeights(E: number) {
    const tensors: Record<string, Float32Array> = {
      'a.in_proj_weight': randArr(3 * E * E),
      'a.in_proj_bias': randArr(3 * E),
      'a.out_proj.weight': randArr(E * E),
      'a.out_proj.bias': randArr(E),
    };
    const shapes: Record<string, number[]> = {
      'a.in_proj_weight': [3 * E, E],
      'a.in_proj_bias': [3 * E],
      'a.out_proj.weight': [E, E],
      'a.out_proj.bias': [E],
    };
    const src: TensorSource = { shape: (k) => shapes[k], read: async (k) => tensors[k] };
    return { tensors, src };
  }

  it.each([
    { qBatch: 2 },
    { qBatch: 1 }, // batch-1 queries broadcast over the batch (decoder layer 0)
  ])(
    'multi-head attention (q batch $qBatch) equals a float64 reference of PyTorch MultiheadAttention',
    async ({ qBatch }) => {
      const E = 8,
        H = 2,
        Lq = 3,
        Lk = 5,
        N = 2;
      const { tensors, src } = mhaWeights(E);
      const store = new WeightStore(join(dir, 'weights.bin'), 'fp32');
      const g = new Graph('mha');
      const q = g.input('q', [qBatch, Lq, E]);
      const kv = g.input('kv', [N, Lk, E]);
      g.output(await multiheadAttention(g, new Params(src, store), 'a', q, kv, kv, H), 'y', [N, Lq, E]);
      store.close();
      const qs = randArr(qBatch * Lq * E),
        kvs = randArr(N * Lk * E);
      const got = (await run(g, { q: [qs, [qBatch, Lq, E]], kv: [kvs, [N, Lk, E]] }, 'mha.onnx')).y
        .data as Float32Array;
      for (let n = 0; n < N; n++)
        for (let i = 0; i < Lq; i++) {
          const off = ((qBatch === 1 ? 0 : n) * Lq + i) * E;
          const want = referenceMha(tensors, E, H, qs.subarray(off, off + E), kvs, n, Lk);
          for (let o = 0; o < E; o++) expect(got[(n * Lq + i) * E + o]).toBeCloseTo(want[o], 5);
        }
    },
  );

  it('packed self-attention (one q/k/v MatMul + Gather split) equals the same float64 reference', async () => {
    const E = 12,
      H = 3,
      L = 4,
      N = 2;
    const { tensors, src } = mhaWeights(E);
    const store = new WeightStore(join(dir, 'weights.bin'), 'fp32');
    const g = new Graph('self');
    const x = g.input('x', [N, L, E]);
    g.output(await selfAttention(g, new Params(src, store), 'a', x, H), 'y', [N, L, E]);
    store.close();
    const xs = randArr(N * L * E);
    const got = (await run(g, { x: [xs, [N, L, E]] }, 'self.onnx')).y.data as Float32Array;
    for (let n = 0; n < N; n++)
      for (let i = 0; i < L; i++) {
        const off = (n * L + i) * E;
        const want = referenceMha(tensors, E, H, xs.subarray(off, off + E), xs, n, L);
        for (let o = 0; o < E; o++) expect(got[off + o]).toBeCloseTo(want[o], 5);
      }
  });

  it('soft-argmax finds a known peak and the centre of a flat map', async () => {
    const size = 16,
      Q = 2;
    const g = new Graph('sa');
    const h = g.input('h', [1, Q, size, size]);
    g.output(softArgmaxFixed(g, h, size), 'lm', [1, Q, 2]);
    const hm = new Float32Array(Q * size * size).fill(-60); // query 0: one hot pixel at column 11, row 4
    hm[4 * size + 11] = 60;
    hm.fill(0, size * size); // query 1: flat map
    const lm = (await run(g, { h: [hm, [1, Q, size, size]] })).lm.data as Float32Array;
    expect(lm[0]).toBeCloseTo((11 + 0.5) / size, 6);
    expect(lm[1]).toBeCloseTo((4 + 0.5) / size, 6);
    expect(lm[2]).toBeCloseTo(0.5, 6);
    expect(lm[3]).toBeCloseTo(0.5, 6);
  });
});
