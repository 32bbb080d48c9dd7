/**
 * FaceptorModel over a scripted backend (no onnxruntime): what is fed to each graph, what is fetched back, batch
 * slicing per face, lazy sessions sharing the weights bytes, and the opt-in Layer-Attention share computed from a
 * `cross_attention` output with hand-chosen weights.
 */
import { describe, expect, it } from 'vitest';
import type { FaceptorManifest } from '../../core/faceptor/manifest.ts';
import type { Detection, RgbaImage } from '../../core/types.ts';
import type { InferenceBackend, SessionOptions, TensorData } from '../backend.ts';
import { FaceptorModel, CROSS_ATTENTION_OUTPUT } from './model.ts';

const file = (path: string) => ({ path, size: 1, sha256: '0'.repeat(64) });

/** A Layer-Attention-like package with one task (RAF-DB expression) whose graph also outputs cross_attention. */
const manifest = {
  format: 'faceptor-web-model', formatVersion: 1, label: 'scripted', variant: 'layer_attention', precision: 'fp32',
  provenance: { sourceFile: 'x', sourceSize: 1, sourceSha256: '0'.repeat(64), step: null, exporter: 't', exporterVersion: '0', exportedAt: '', untrained: true },
  dims: { vitWidth: 4, vitLayers: 12, vitHeads: 1, patch: 16, decoderWidth: 4, decoderHeads: 1, decoderLayers: 2, decoderLevels: 2, recogEmbedding: 512 },
  parameters: 0, weights: 'weights.bin',
  encoders: [{ group: 112, file: 'encoder_112.onnx', input: { name: 'image', dims: ['N', 3, 112, 112] }, outputs: [{ name: 'feat_11', dims: ['N', 4, 7, 7] }, { name: 'feat_1', dims: ['N', 4, 7, 7] }] }],
  tasks: [{
    name: 'affect_rafdb', type: 'affect', group: 112, queries: 7, file: 'affect_rafdb.onnx', inputs: ['feat_11', 'feat_1'],
    outputs: [{ name: 'logits', dims: ['N', 7] }, { name: CROSS_ATTENTION_OUTPUT, dims: ['N', 2, 7, 98] }],
  }],
  fused: [], files: [file('weights.bin'), file('encoder_112.onnx'), file('affect_rafdb.onnx')],
} as unknown as FaceptorManifest;

interface Call { graph: string; feeds: Record<string, readonly number[]>; fetches?: readonly string[] }

function scripted(calls: Call[], externals: SessionOptions[]): InferenceBackend {
  return {
    provider: 'scripted',
    async createSession(model, options) {
      externals.push(options ?? {});
      const graph = new TextDecoder().decode(model);
      return {
        inputNames: [], outputNames: [],
        async release() {},
        async run(feeds, fetches) {
          calls.push({ graph, feeds: Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.dims])), fetches });
          const N = feeds[Object.keys(feeds)[0]].dims[0];
          const t = (dims: number[], f: (i: number) => number): TensorData => ({ type: 'float32', dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b) }, (_, i) => f(i)) });
          if (graph === 'encoder') return { feat_11: t([N, 4, 7, 7], () => 0), feat_1: t([N, 4, 7, 7], () => 0) };
          // face n: logit n+1 is the largest; attention: level 0 tokens get 3/(4·49), level 1 tokens 1/(4·49)
          const out: Record<string, TensorData> = { logits: t([N, 7], (i) => (i % 7 === Math.floor(i / 7) + 1 ? 5 : 0)) };
          if (fetches?.includes(CROSS_ATTENTION_OUTPUT)) out[CROSS_ATTENTION_OUTPUT] = t([N, 2, 7, 98], (i) => (i % 98 < 49 ? 3 : 1) / (4 * 49));
          return out;
        },
      };
    },
  };
}

const image: RgbaImage = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 4).fill(128) };
const face = (dx: number): Detection => ({
  box: { x: 10 + dx, y: 10, width: 30, height: 30 }, score: 0.9,
  keypoints: [[18 + dx, 22], [32 + dx, 22], [25 + dx, 30], [25 + dx, 36], [12 + dx, 25], [38 + dx, 25]],
});

function model(calls: Call[], externals: SessionOptions[]) {
  const bytes = (s: string) => new TextEncoder().encode(s);
  const files = new Map([['weights.bin', bytes('W')], ['encoder_112.onnx', bytes('encoder')], ['affect_rafdb.onnx', bytes('task')]]);
  return new FaceptorModel(manifest, files, scripted(calls, externals), 'scripted package');
}

describe('FaceptorModel (scripted backend)', () => {
  it('batches the faces, feeds the task every encoder output it lists, slices results per face', async () => {
    const calls: Call[] = [], externals: SessionOptions[] = [];
    const m = model(calls, externals);
    const r = await m.analyzeFaces(image, [face(0), face(4)], { tasks: ['expression'] });
    expect(calls.map((c) => c.graph)).toEqual(['encoder', 'task']);
    expect(calls[0].feeds).toEqual({ image: [2, 3, 112, 112] });
    expect(calls[1].feeds).toEqual({ feat_11: [2, 4, 7, 7], feat_1: [2, 4, 7, 7] });
    expect(calls[1].fetches).toEqual(['logits']); // attention weights not asked for → not fetched
    expect(r.faces.map((f) => f.expression!.rafdb.top)).toEqual(['Happy', 'Sad']); // logit index 1 and 2
    expect(r.faces[0].layerAttention).toBeUndefined();
    // every session got the same weights bytes as external data
    expect(externals).toHaveLength(2);
    expect(externals.every((o) => o.externalData?.[0].path === 'weights.bin' && o.externalData[0].data === externals[0].externalData![0].data)).toBe(true);
  });

  it('layerAttention: true → per task the share of cross-attention mass per block (11 first, then 1)', async () => {
    const calls: Call[] = [];
    const m = model(calls, []);
    expect(m.hasLayerAttentionWeights).toBe(true);
    const r = await m.analyzeFaces(image, [face(0)], { tasks: ['affect_rafdb'], layerAttention: true });
    expect(calls[1].fetches).toEqual(['logits', CROSS_ATTENTION_OUTPUT]);
    const shares = r.faces[0].layerAttention!.affect_rafdb!;
    expect(shares.map((s) => s.block)).toEqual([11, 1]);
    expect(shares[0].fraction).toBeCloseTo(0.75, 6);
    expect(shares[1].fraction).toBeCloseTo(0.25, 6);
  });

  it('errors: a task the package lacks (names what exists), a face that cannot be aligned (names the face), use after release()', async () => {
    const m = model([], []);
    await expect(m.analyzeFaces(image, [face(0)], { tasks: ['landmarks'] })).rejects.toThrow(/this model has no landmarks task/);
    const bad: Detection = { ...face(0), keypoints: [[20, 20], [20, 20], [25, 30], [25, 36]] };
    await expect(m.analyzeFaces(image, [face(0), bad], { tasks: ['expression'] })).rejects.toThrow(/face 1: .*eye keypoints coincide/);
    await m.release();
    await expect(m.analyzeFaces(image, [face(0)], { tasks: ['expression'] })).rejects.toThrow(/used after release/);
  });
});
