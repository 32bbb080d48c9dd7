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
import { HeldWeights } from './held-weights.ts';

const file = (path: string) => ({ path, size: 1, sha256: '0'.repeat(64) });

/**
 * A Layer-Attention-like package with two expression tasks (RAF-DB queries at rows 0..6 of the query table,
 * AffectNet at 7..13) in one decoder graph that also outputs cross_attention.
 */
const manifest = {
  format: 'faceptor-web-model',
  formatVersion: 2,
  label: 'scripted',
  variant: 'layer_attention',
  precision: 'fp32',
  provenance: {
    sourceFile: 'x',
    sourceSize: 1,
    sourceSha256: '0'.repeat(64),
    step: null,
    exporter: 't',
    exporterVersion: '0',
    exportedAt: '',
    untrained: true,
  },
  dims: {
    vitWidth: 4,
    vitLayers: 12,
    vitHeads: 1,
    patch: 16,
    decoderWidth: 4,
    decoderHeads: 1,
    decoderLayers: 2,
    decoderLevels: 2,
    recogEmbedding: 512,
  },
  parameters: 0,
  weights: 'weights.bin',
  encoder: {
    file: 'encoder.onnx',
    input: { name: 'image', dims: ['N', 3, 'H', 'H'] },
    outputs: [
      { name: 'feat_11', dims: ['N', 'S2', 4] },
      { name: 'feat_1', dims: ['N', 'S2', 4] },
    ],
    groups: [{ group: 112, feeds: [{ name: 'pos', type: 'float32', dims: [1, 50, 4], offset: 64, length: 800 }] }],
  },
  heads: [
    {
      name: 'decoder',
      file: 'decoder.onnx',
      kind: 'decoder',
      inputs: ['feat_11', 'feat_1'],
      outputs: [
        { name: 'logits', dims: ['N', 'Q'] },
        { name: 'landmark', dims: ['N', 'Q', 2] },
        { name: 'maps', dims: ['N', 'Qs', 'H', 'H'] },
        { name: CROSS_ATTENTION_OUTPUT, dims: ['N', 2, 'Q', 'K'] },
      ],
      groups: [
        {
          group: 112,
          feeds: [
            { name: 'memory_pos', type: 'float32', dims: [1, 98, 4], offset: 1024, length: 98 * 16 },
            { name: 'grid_shape', type: 'int64', dims: [4], values: [0, 4, 7, 7] },
          ],
        },
      ],
    },
  ],
  tasks: (['affect_affectnet', 'affect_rafdb'] as const).map((name) => ({
    name,
    type: 'affect',
    group: 112,
    queries: 7,
    graph: 'decoder',
    queryOffset: name === 'affect_rafdb' ? 0 : 7,
    outputs: [
      { name: 'logits', from: 'logits', dims: ['N', 'Q'] },
      { name: CROSS_ATTENTION_OUTPUT, from: CROSS_ATTENTION_OUTPUT, dims: ['N', 2, 'Q', 'K'] },
    ],
  })),
  fused: [],
  files: [file('weights.bin'), file('encoder.onnx'), file('decoder.onnx')],
} as unknown as FaceptorManifest;

interface Call {
  graph: string;
  feeds: Record<string, readonly number[]>;
  data: Record<string, number[]>;
  fetches?: readonly string[];
}

function scripted(calls: Call[], externals: SessionOptions[]): InferenceBackend {
  return {
    provider: 'cpu',
    async createSession(model, options) {
      externals.push(options ?? {});
      const graph = new TextDecoder().decode(model);
      return {
        inputNames: [],
        outputNames: [],
        async release() {},
        async run(feeds, fetches) {
          const small = Object.entries(feeds).filter(([, v]) => v.data.length <= 400);
          calls.push({
            graph,
            feeds: Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.dims])),
            data: Object.fromEntries(
              small.map(([k, v]) => [k, Array.from(v.data as ArrayLike<number | bigint>, Number)]),
            ),
            fetches,
          });
          const N = feeds.image?.dims[0] ?? feeds.feat_11.dims[0];
          const t = (dims: number[], f: (i: number) => number): TensorData => ({
            type: 'float32',
            dims,
            data: Float32Array.from({ length: dims.reduce((a, b) => a * b) }, (_, i) => f(i)),
          });
          if (graph === 'encoder') return { feat_11: t([N, 49, 4], () => 0), feat_1: t([N, 49, 4], () => 0) };
          // query table rows: RAF-DB 0..6, AffectNet 7..13. Face n: RAF-DB class n+1 and AffectNet class n+3 win.
          const q = Array.from(feeds.queries.data as BigInt64Array, Number);
          const Qt = q.length;
          const out: Record<string, TensorData> = {
            logits: t([N, Qt], (i) => {
              const n = Math.floor(i / Qt),
                row = q[i % Qt];
              return row === n + 1 || row === 7 + n + 3 ? 5 : 0;
            }),
          };
          // attention: level 0 tokens get 3/(4·49), level 1 tokens 1/(4·49)
          if (fetches?.includes(CROSS_ATTENTION_OUTPUT))
            out[CROSS_ATTENTION_OUTPUT] = t([N, 2, Qt, 98], (i) => (i % 98 < 49 ? 3 : 1) / (4 * 49));
          return out;
        },
      };
    },
  };
}

const image: RgbaImage = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 4).fill(128) };
const face = (dx: number): Detection => ({
  box: { x: 10 + dx, y: 10, width: 30, height: 30 },
  score: 0.9,
  keypoints: [
    [18 + dx, 22],
    [32 + dx, 22],
    [25 + dx, 30],
    [25 + dx, 36],
    [12 + dx, 25],
    [38 + dx, 25],
  ],
});

function packageFiles(): Map<string, Uint8Array> {
  const bytes = (s: string) => new TextEncoder().encode(s);
  const weights = new Uint8Array(1024 + 98 * 16);
  new DataView(weights.buffer).setFloat32(64, 0.25, true); // pos[0] (the class row's first value)
  return new Map([
    ['weights.bin', weights],
    ['encoder.onnx', bytes('encoder')],
    ['decoder.onnx', bytes('decoder')],
  ]);
}

function model(calls: Call[], externals: SessionOptions[]) {
  return new FaceptorModel(manifest, packageFiles(), scripted(calls, externals), 'scripted package');
}

describe('FaceptorModel (scripted backend)', () => {
  it("batches the faces, feeds the encoder its position table and the decoder every task's queries in ONE run, slices results per task and face", async () => {
    const calls: Call[] = [],
      externals: SessionOptions[] = [];
    const m = model(calls, externals);
    const r = await m.analyzeFaces(image, [face(0), face(4)], { tasks: ['affect_rafdb', 'affect_affectnet'] });
    expect(calls.map((c) => c.graph)).toEqual(['encoder', 'decoder']);
    expect(calls[0].feeds).toEqual({ image: [2, 3, 112, 112], pos: [1, 50, 4] });
    expect(calls[0].fetches).toEqual(['feat_11', 'feat_1']);
    expect(calls[1].feeds).toEqual({
      feat_11: [2, 49, 4],
      feat_1: [2, 49, 4],
      memory_pos: [1, 98, 4],
      grid_shape: [4],
      queries: [14],
      self_mask: [14, 14],
      map_select: [1],
    });
    // manifest order: AffectNet (rows 7..13) first, then RAF-DB (rows 0..6); the mask blocks each task off
    expect(calls[1].data.queries).toEqual([7, 8, 9, 10, 11, 12, 13, 0, 1, 2, 3, 4, 5, 6]);
    expect(calls[1].data.grid_shape).toEqual([0, 4, 7, 7]);
    expect(calls[1].fetches).toEqual(['logits']); // attention weights not asked for → not fetched
    expect(r.faces.map((f) => f.expression!.rafdb!.top)).toEqual(['Happy', 'Sad']); // class n+1
    expect(r.faces.map((f) => f.expression!.affectnet!.top)).toEqual(['Surprise', 'Fear']); // class n+3
    expect(r.faces[0].layerAttention).toBeUndefined();
    expect(r.timings.runs).toEqual({ 'encoder.onnx': 1, 'decoder.onnx': 1 });
    expect(r.runs).toEqual({ encoder112: 1, encoder512: 0, tasks: { affect_affectnet: 1, affect_rafdb: 1 } });
    // every session got the same weights bytes as external data
    expect(externals).toHaveLength(2);
    expect(
      externals.every(
        (o) =>
          o.externalData?.[0].path === 'weights.bin' && o.externalData[0].data === externals[0].externalData![0].data,
      ),
    ).toBe(true);
  });

  it('a device backend (WebGPU) keeps the encoder features on the device: fed as they are, disposed after, not read back', async () => {
    const calls: Call[] = [];
    const disposed: string[] = [];
    const fedDevice: string[] = [];
    const inner = scripted(calls, []);
    const device: InferenceBackend = {
      provider: 'webgpu',
      async createSession(model, options) {
        const s = await inner.createSession(model, options);
        return {
          ...s,
          async run(feeds, fetches) {
            for (const [k, v] of Object.entries(feeds)) if (v.device) fedDevice.push(k);
            const out = await s.run(feeds, fetches);
            if (!options?.outputsOnDevice) return out;
            return Object.fromEntries(
              Object.entries(out).map(([k, v]) => [
                k,
                { ...v, data: new Float32Array(0), device: { k }, dispose: () => disposed.push(k) },
              ]),
            );
          },
        };
      },
    };
    const bytes = (x: string) => new TextEncoder().encode(x);
    const m = new FaceptorModel(
      manifest,
      new Map([
        ['weights.bin', new Uint8Array(1024 + 98 * 16)],
        ['encoder.onnx', bytes('encoder')],
        ['decoder.onnx', bytes('decoder')],
      ]),
      device,
      'device package',
    );
    const r = await m.analyzeFaces(image, [face(0), face(4)], { tasks: ['affect_rafdb'] });
    expect(fedDevice.sort()).toEqual(['feat_1', 'feat_11']);
    expect(disposed.sort()).toEqual(['feat_1', 'feat_11']);
    expect(r.faces.map((f) => f.expression!.rafdb!.top)).toEqual(['Happy', 'Sad']);
    expect(r.timings.readBackBytes).toBe(2 * 7 * 4); // only the decoder's logits [2, 7] came back
    // on a CPU backend everything that came back counts: the features [2, 49, 4] twice plus the logits
    const cpu = await model([], []).analyzeFaces(image, [face(0), face(4)], { tasks: ['affect_rafdb'] });
    expect(cpu.timings.readBackBytes).toBe(2 * (2 * 49 * 4 * 4) + 2 * 7 * 4);
  });

  it('a disabled task is not in the batch: one task feeds only its own 7 queries', async () => {
    const calls: Call[] = [];
    const r = await model(calls, []).analyzeFaces(image, [face(0)], { tasks: ['affect_rafdb'] });
    expect(calls[1].data.queries).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(calls[1].data.self_mask).toEqual(Array(49).fill(0));
    expect(r.faces[0].expression).toEqual({ rafdb: expect.objectContaining({ top: 'Happy' }) });
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

  it('drops its copy of weights.bin once every graph has a session; a rebind (EP switch) reads it again once, then drops it', async () => {
    const calls: Call[] = [],
      externals: SessionOptions[] = [];
    const bytes = (x: string) => new TextEncoder().encode(x);
    const weightsBytes = () => {
      const w = new Uint8Array(1024 + 98 * 16);
      new DataView(w.buffer).setFloat32(64, 0.25, true);
      return w;
    };
    let reads = 0;
    const held = new HeldWeights(weightsBytes(), async () => {
      reads++;
      return weightsBytes();
    });
    const files = new Map([
      ['weights.bin', weightsBytes()],
      ['encoder.onnx', bytes('encoder')],
      ['decoder.onnx', bytes('decoder')],
    ]);
    const m = new FaceptorModel(manifest, files, scripted(calls, externals), 'dropping package', undefined, held);
    expect(m.holdsWeightsBytes).toBe(true);
    const first = await m.analyzeFaces(image, [face(0)], { tasks: ['affect_rafdb'] });
    await new Promise((r) => setTimeout(r, 0)); // the drop runs after the sessions resolve
    expect(m.holdsWeightsBytes).toBe(false);
    // the constants were sliced out before the drop: later frames need no weights bytes and read nothing
    const again = await m.analyzeFaces(image, [face(0)], { tasks: ['affect_rafdb', 'affect_affectnet'] });
    expect(reads).toBe(0);
    expect(again.faces[0].expression!.rafdb).toEqual(first.faces[0].expression!.rafdb);
    expect(calls.filter((c) => c.graph === 'encoder').every((c) => c.feeds.pos.join() === '1,50,4')).toBe(true);
    // a new backend opens new sessions: the bytes are read again (one read for both graphs), then dropped again
    const other = m.rebind(scripted([], externals));
    const moved = await other.analyzeFaces(image, [face(0)], { tasks: ['affect_rafdb'] });
    await new Promise((r) => setTimeout(r, 0));
    expect(reads).toBe(1);
    expect(other.holdsWeightsBytes).toBe(false);
    expect(moved.faces[0].expression!.rafdb).toEqual(first.faces[0].expression!.rafdb);
    expect(externals).toHaveLength(4);
    // without a way to read them again the bytes are kept
    const kept = model([], []);
    await kept.analyzeFaces(image, [face(0)], { tasks: ['affect_rafdb'] });
    await new Promise((r) => setTimeout(r, 0));
    expect(kept.holdsWeightsBytes).toBe(true);
  });

  it('feeds half-stored (float16) constants as float32, from held weights that are then dropped (a q8/q4 package in the browser)', async () => {
    // The browser's path: weights.bin bytes held in memory (HeldWeights), not on disk.
    const half = {
      ...manifest,
      precision: 'q8',
      encoder: {
        ...manifest.encoder,
        groups: [{ group: 112, feeds: [{ name: 'pos', type: 'float16', dims: [1, 50, 4], offset: 64, length: 400 }] }],
      },
      heads: [
        {
          ...manifest.heads[0],
          groups: [
            {
              group: 112,
              feeds: [
                { name: 'memory_pos', type: 'float16', dims: [1, 98, 4], offset: 1024, length: 98 * 8 },
                { name: 'grid_shape', type: 'int64', dims: [4], values: [0, 4, 7, 7] },
              ],
            },
          ],
        },
      ],
    } as unknown as FaceptorManifest;
    const weightsBytes = () => {
      const w = new Uint8Array(1024 + 98 * 8);
      const v = new DataView(w.buffer);
      v.setUint16(64, 0x3400, true); // pos[0] = 0.25
      v.setUint16(66, 0xc000, true); // pos[1] = −2
      v.setUint16(1024 + 98 * 8 - 2, 0x3555, true); // memory_pos[391] = the half nearest 1/3
      return w;
    };
    const bytes = (x: string) => new TextEncoder().encode(x);
    const calls: Call[] = [];
    const m = new FaceptorModel(
      half,
      new Map([
        ['weights.bin', weightsBytes()],
        ['encoder.onnx', bytes('encoder')],
        ['decoder.onnx', bytes('decoder')],
      ]),
      scripted(calls, []),
      'half-feed package',
      undefined,
      new HeldWeights(weightsBytes(), async () => weightsBytes()),
    );
    const r = await m.analyzeFaces(image, [face(0)], { tasks: ['affect_rafdb'] });
    expect(r.faces[0].expression!.rafdb!.top).toBe('Happy');
    await new Promise((res) => setTimeout(res, 0));
    expect(m.holdsWeightsBytes).toBe(false);
    const [enc, dec] = calls;
    expect(enc.feeds.pos).toEqual([1, 50, 4]);
    expect(enc.data.pos.slice(0, 3)).toEqual([0.25, -2, 0]);
    expect(enc.data.pos).toHaveLength(200);
    expect(dec.data.memory_pos).toHaveLength(392);
    expect(dec.data.memory_pos[391]).toBe(0.333251953125);
  });

  it('takes the checkpoint sha256 recorded after loading ("" → digest) into its info and its rebinds; nothing else', async () => {
    const calls: Call[] = [];
    const pending = new FaceptorModel(
      { ...manifest, provenance: { ...manifest.provenance, sourceSha256: '' } },
      packageFiles(),
      scripted(calls, []),
      'stored package',
    );
    expect(pending.info.sourceSha256).toBe('');
    expect(() => pending.recordSourceSha256('not a digest')).toThrow(/not a sha256/);
    const digest = 'c0'.repeat(32);
    pending.recordSourceSha256(digest);
    expect(pending.info.sourceSha256).toBe(digest);
    expect(pending.manifest.provenance.sourceSha256).toBe(digest);
    expect(pending.rebind(scripted(calls, [])).info.sourceSha256).toBe(digest);
    const r = await pending.analyzeFaces(image, [face(0)], { tasks: ['affect_rafdb'] });
    expect(r.faces).toHaveLength(1);
    pending.recordSourceSha256(digest); // the same digest again: nothing changes
    // A recorded digest is never replaced, and a package loaded with one never takes another.
    expect(() => pending.recordSourceSha256('d1'.repeat(32))).toThrow(/already records another/);
    expect(() => model([], []).recordSourceSha256(digest)).toThrow(/already records another/);
  });

  it('errors: a task the package lacks (names what exists), a face that cannot be aligned (names the face), use after release()', async () => {
    const m = model([], []);
    await expect(m.analyzeFaces(image, [face(0)], { tasks: ['landmarks'] })).rejects.toThrow(
      /this model has no landmarks task/,
    );
    const bad: Detection = {
      ...face(0),
      keypoints: [
        [20, 20],
        [20, 20],
        [25, 30],
        [25, 36],
      ],
    };
    await expect(m.analyzeFaces(image, [face(0), bad], { tasks: ['expression'] })).rejects.toThrow(
      /face 1: .*eye keypoints coincide/,
    );
    await m.release();
    await expect(m.analyzeFaces(image, [face(0)], { tasks: ['expression'] })).rejects.toThrow(/used after release/);
  });
});
