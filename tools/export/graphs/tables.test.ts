/** Export-time tables against hand-derived values (docs/model.md §4.2, §5.2, §7.3). */
import { describe, expect, it } from 'vitest';
import { adaptivePoolMatrix, anchorSineEmbedding, bicubicMatrix, bilinearMatrix, resizePosTable } from './tables.ts';

describe('bicubic (PyTorch, A = −0.75, clamped taps)', () => {
  it('is the identity at the same size', () => {
    const m = bicubicMatrix(32, 32);
    for (let i = 0; i < 32; i++) for (let j = 0; j < 32; j++) expect(m[i * 32 + j]).toBeCloseTo(i === j ? 1 : 0, 12);
  });
  it('has rows summing to 1 and hand-computed taps for 32 → 7', () => {
    const m = bicubicMatrix(32, 7);
    for (let i = 0; i < 7; i++) expect(m.subarray(i * 32, i * 32 + 32).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Output 3: src = 3.5·32/7 − 0.5 = 15.5, i0 = 15, t = 0.5 → taps 14..17 with weights
    // c2(1.5) = −0.09375, c1(0.5) = 0.59375, c1(0.5), c2(1.5).
    expect(m[3 * 32 + 14]).toBeCloseTo(-0.09375, 12);
    expect(m[3 * 32 + 15]).toBeCloseTo(0.59375, 12);
    expect(m[3 * 32 + 16]).toBeCloseTo(0.59375, 12);
    expect(m[3 * 32 + 17]).toBeCloseTo(-0.09375, 12);
    // Output 0: src = 0.5·32/7 − 0.5 ≈ 1.7857; taps 0..3 are all inside, so nothing is clamped on this row.
    // i0 = 1, t = src − 1; tap 2 has weight c1(1 − t) with c1(z) = (1.25z − 2.25)z² + 1.
    const z = 1 - ((0.5 * 32) / 7 - 0.5 - 1);
    expect(m[0 * 32 + 2]).toBeCloseTo((1.25 * z - 2.25) * z * z + 1, 10);
  });
  it('clamps taps at the border (edge replication) when upsampling', () => {
    const m = bicubicMatrix(4, 8);
    // Output 0: src = −0.25, i0 = −1, t = 0.75: taps −2, −1, 0, 1 → clamped to 0, 0, 0, 1.
    const w = (z: number) => (z <= 1 ? (1.25 * z - 2.25) * z * z + 1 : ((-0.75 * z + 3.75) * z - 6) * z + 3);
    expect(m[0]).toBeCloseTo(w(1.75) + w(0.75) + w(0.25), 12);
    expect(m[1]).toBeCloseTo(w(1.25), 12);
  });
  it('keeps the class row and resizes a constant grid to the same constant', () => {
    const C = 3,
      G = 32;
    const table = new Float32Array((1 + G * G) * C);
    table.set([9, 8, 7]);
    for (let r = 1; r <= G * G; r++) table.set([1, 2, 3], r * C);
    const out = resizePosTable(table, C, 7);
    expect(Array.from(out.subarray(0, 3))).toEqual([9, 8, 7]);
    for (let r = 1; r <= 49; r++) for (let c = 0; c < C; c++) expect(out[r * C + c]).toBeCloseTo(c + 1, 5);
  });
});

describe('pooling and bilinear matrices', () => {
  it('adaptive average pool 16 → 6 uses the overlapping bins of docs/model.md §7.3', () => {
    const m = adaptivePoolMatrix(16, 6);
    const bins = [
      [0, 3],
      [2, 6],
      [5, 8],
      [8, 11],
      [10, 14],
      [13, 16],
    ];
    bins.forEach(([a, b], i) => {
      for (let j = 0; j < 16; j++) expect(m[i * 16 + j]).toBeCloseTo(j >= a && j < b ? 1 / (b - a) : 0, 12);
    });
  });
  it('bilinear ×2 (align_corners=False) has the 0.75/0.25 pattern with a clamped first row', () => {
    const m = bilinearMatrix(4, 8);
    expect(Array.from(m.subarray(0, 4))).toEqual([1, 0, 0, 0]); // src −0.25 clamped to 0
    expect(Array.from(m.subarray(4, 8))).toEqual([0.75, 0.25, 0, 0]);
    expect(Array.from(m.subarray(8, 12))).toEqual([0.25, 0.75, 0, 0]);
    expect(Array.from(m.subarray(28, 32))).toEqual([0, 0, 0, 1]);
  });
});

describe('anchor sine embedding', () => {
  it('puts e(y) first, sin on even and cos on odd positions', () => {
    const S = 2,
      D = 8,
      F = 4;
    const e = anchorSineEmbedding(S, D);
    // Cell (h=1, w=0): y = 0.75, x = 0.25. dim_t = [1, 1, 100, 100] for F = 4.
    const row = e.subarray((1 * S + 0) * D, (1 * S + 0) * D + D);
    const expected = (v: number) => [
      Math.sin(2 * Math.PI * v),
      Math.cos(2 * Math.PI * v),
      Math.sin((2 * Math.PI * v) / 100),
      Math.cos((2 * Math.PI * v) / 100),
    ];
    const want = [...expected(0.75), ...expected(0.25)];
    for (let i = 0; i < 2 * F; i++) expect(row[i]).toBeCloseTo(want[i], 6);
  });
});
