/** planDecoderBatch / taskPart / sliceAxis / constFeedTensors against hand-worked layouts. */
import { describe, expect, it } from 'vitest';
import { MASKED, constFeedTensors, planDecoderBatch, sliceAxis, taskPart } from './batch.ts';

describe('planDecoderBatch', () => {
  it("concatenates the tasks' query rows and masks self-attention to each task's block", () => {
    const b = planDecoderBatch([
      { name: 'a', queryOffset: 10, queries: 2, maps: false },
      { name: 'b', queryOffset: 0, queries: 3, maps: true },
    ]);
    expect([...b.queries].map(Number)).toEqual([10, 11, 0, 1, 2]);
    const Z = 0,
      X = MASKED;
    expect([...b.selfMask]).toEqual([Z, Z, X, X, X, Z, Z, X, X, X, X, X, Z, Z, Z, X, X, Z, Z, Z, X, X, Z, Z, Z]);
    expect([...b.mapSelect].map(Number)).toEqual([2, 3, 4]);
    expect(b.rows.get('a')).toEqual({ start: 0, count: 2, mapStart: null });
    expect(b.rows.get('b')).toEqual({ start: 2, count: 3, mapStart: 0 });
  });

  it('feeds one stand-in query and map row when no decoder task runs (recognition alone)', () => {
    const b = planDecoderBatch([]);
    expect([...b.queries].map(Number)).toEqual([0]);
    expect([...b.selfMask]).toEqual([0]);
    expect([...b.mapSelect].map(Number)).toEqual([0]);
    expect(b.rows.size).toBe(0);
  });
});

describe('taskPart and sliceAxis', () => {
  const rows = { start: 2, count: 3, mapStart: 0 };
  it('takes query rows on axis 1, cross-attention rows on axis 2, maps by selection, embeddings whole', () => {
    expect(taskPart('decoder', 'logits', rows)).toEqual({ axis: 1, start: 2, count: 3 });
    expect(taskPart('decoder', 'cross_attention', rows)).toEqual({ axis: 2, start: 2, count: 3 });
    expect(taskPart('decoder', 'maps', rows)).toEqual({ axis: 1, start: 0, count: 3 });
    expect(taskPart('decoder', 'embedding', rows)).toBeNull();
    expect(taskPart('heads', 'affect_rafdb.logits', undefined)).toBeNull();
    expect(() => taskPart('decoder', 'maps', { ...rows, mapStart: null })).toThrow(/did not select/);
  });
  it('slices [N, Q, k] rows per batch item', () => {
    // [2, 4, 2]: value = 100·n + 10·q + k
    const data = Float32Array.from(
      { length: 16 },
      (_, i) => 100 * Math.floor(i / 8) + 10 * (Math.floor(i / 2) % 4) + (i % 2),
    );
    const s = sliceAxis(data, [2, 4, 2], 1, 1, 2);
    expect(s.dims).toEqual([2, 2, 2]);
    expect([...s.data]).toEqual([10, 11, 20, 21, 110, 111, 120, 121]);
    expect(() => sliceAxis(data, [2, 4, 2], 1, 3, 2)).toThrow(/outside/);
  });
});

describe('constFeedTensors', () => {
  it('reads float32 feeds from the weights bytes at their offset and passes int64 values inline', () => {
    const weights = new Uint8Array(64 + 8);
    new DataView(weights.buffer).setFloat32(64, 1.5, true);
    new DataView(weights.buffer).setFloat32(68, -2, true);
    const t = constFeedTensors(
      [
        { name: 'pos', type: 'float32', dims: [1, 2], offset: 64, length: 8 },
        { name: 'shape', type: 'int64', dims: [4], values: [0, 8, 7, 7] },
      ],
      weights,
    );
    expect([...(t.pos.data as Float32Array)]).toEqual([1.5, -2]);
    expect([...(t.shape.data as BigInt64Array)]).toEqual([0n, 8n, 7n, 7n]);
    expect(() =>
      constFeedTensors([{ name: 'x', type: 'float32', dims: [4], offset: 64, length: 16 }], weights),
    ).toThrow(/beyond the end/);
  });

  it('converts half-stored (float16) feeds to float32 tensors on load (issue 11: q8/q4 position tables)', () => {
    // 1, −2, the half nearest 1/3, −63.5, the largest finite half, the smallest subnormal
    const bits = [0x3c00, 0xc000, 0x3555, 0xd3f0, 0x7bff, 0x0001];
    const weights = new Uint8Array(64 + bits.length * 2);
    bits.forEach((b, i) => new DataView(weights.buffer).setUint16(64 + i * 2, b, true));
    const want = [1, -2, 0.333251953125, -63.5, 65504, 2 ** -24];
    const feed = { name: 'pos', type: 'float16' as const, dims: [1, 2, 3], offset: 64, length: 12 };
    const t = constFeedTensors([feed], weights);
    expect(t.pos.type).toBe('float32');
    expect(t.pos.dims).toEqual([1, 2, 3]);
    expect(t.pos.data).toBeInstanceOf(Float32Array);
    expect([...(t.pos.data as Float32Array)]).toEqual(want);
    // The host callback form (Node reads the feed's bytes from disk; they may sit at an odd offset of a buffer).
    const odd = new Uint8Array(13);
    odd.set(weights.subarray(64), 1);
    const viaRead = constFeedTensors([feed], (offset, length) => {
      expect([offset, length]).toEqual([64, 12]);
      return odd.subarray(1);
    });
    expect([...(viaRead.pos.data as Float32Array)]).toEqual(want);
  });

  it('reads a float32 feed at its offset from a Node Buffer too (Buffer#slice is a view, not a copy)', () => {
    const weights = Buffer.alloc(64 + 8);
    weights.writeFloatLE(7, 0);
    weights.writeFloatLE(1.5, 64);
    weights.writeFloatLE(-2, 68);
    const t = constFeedTensors([{ name: 'pos', type: 'float32', dims: [2], offset: 64, length: 8 }], weights);
    expect([...(t.pos.data as Float32Array)]).toEqual([1.5, -2]);
  });

  it('refuses a feed whose byte length does not match its dims and stored type', () => {
    const weights = new Uint8Array(128);
    // 6 halves are 12 bytes: 24 would be float32's size, read as half it would misplace every value.
    expect(() =>
      constFeedTensors([{ name: 'pos', type: 'float16', dims: [6], offset: 64, length: 24 }], weights),
    ).toThrow(/24 bytes do not hold 6 float16 values/);
    expect(() =>
      constFeedTensors([{ name: 'pos', type: 'float32', dims: [6], offset: 64, length: 12 }], weights),
    ).toThrow(/12 bytes do not hold 6 float32 values/);
    expect(() =>
      constFeedTensors([{ name: 'pos', type: 'float16', dims: [6], offset: 64, length: 12 }], () => new Uint8Array(10)),
    ).toThrow(/read 10 of 12 bytes/);
  });
});
