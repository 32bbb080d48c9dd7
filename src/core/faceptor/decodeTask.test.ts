import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { officialBoxCrop512 } from '../align/crops.ts';
import { TASKS, VARIANT_TASKS } from './tasks.ts';
import { batchItem, decodeTaskOutput } from './decodeTask.ts';

const GOLDEN = process.env.FACEPTOR_GOLDEN ?? fileURLToPath(new URL('../../../../shared/golden', import.meta.url));
const FULL = `${GOLDEN}/faceptor_full`;
const hasGolden = existsSync(`${FULL}/manifest.json`);
const f32 = (file: string) => {
  const b = readFileSync(`${FULL}/${file}`);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

// crop for a box (100, 40)–(300, 240) at zoom s: x = 200 + (u − 255.5)·200/(512·s) (docs/model.md §3.3 closed form)
const box = { x1: 100, y1: 40, x2: 300, y2: 240 };

describe('batchItem', () => {
  it('slices one item without copying, and checks dims', () => {
    const d = Float32Array.from({ length: 6 }, (_, i) => i);
    expect(Array.from(batchItem(d, [2, 3], 1))).toEqual([3, 4, 5]);
    expect(batchItem(d, [2, 3], 1).buffer).toBe(d.buffer);
    expect(() => batchItem(d, [2, 3], 2)).toThrow(/outside/);
    expect(() => batchItem(d, [3, 3], 0)).toThrow(/do not match/);
  });
});

describe.skipIf(!hasGolden)('every Faceptor-Full task decodes from the golden graph outputs', () => {
  it.each(VARIANT_TASKS.full.filter((t) => TASKS[t].type !== 'parsing'))('%s', (task) => {
    const spec = TASKS[task];
    const s = spec.type === 'align' ? spec.landmarks.scaleMu : 0.8;
    const crop = officialBoxCrop512(box.x1, box.y1, box.x2, box.y2, s);
    const raw =
      spec.type === 'recog'
        ? { embedding: batchItem(f32(`${task}.head_output.f32.bin`), [2, 512], 0) }
        : spec.type === 'align'
          ? { landmark: batchItem(f32(`${task}.landmark.f32.bin`), [1, spec.outputs, 2], 0) }
          : { logits: batchItem(f32(`${task}.head_output.f32.bin`), [2, spec.outputs], 1) };
    const r = decodeTaskOutput(task, raw, crop);
    expect(r.type).toBe(spec.type);
    switch (r.type) {
      case 'recog':
        expect(r.embedding).toHaveLength(512);
        expect(Math.hypot(...r.embedding)).toBeCloseTo(1, 5);
        break;
      case 'age':
        expect(Math.abs(r.years - f32(`${task}.age_expectation.f32.bin`)[1])).toBeLessThan(1e-4);
        expect(r.distribution).toHaveLength(101);
        break;
      case 'biattr':
        expect(Object.keys(r.probs)).toHaveLength(40);
        break;
      case 'affect':
        expect(Object.keys(r.probs)).toHaveLength(7);
        expect(r.probs[r.top]).toBe(Math.max(...Object.values(r.probs)));
        break;
      case 'align': {
        expect(r.points).toHaveLength(spec.outputs);
        const n = (raw as { landmark: Float32Array }).landmark;
        expect(r.points[3][0]).toBeCloseTo(200 + ((n[6] * 512 - 0.5 - 255.5) * 200) / (512 * s), 6);
        expect(r.points[3][1]).toBeCloseTo(140 + ((n[7] * 512 - 0.5 - 255.5) * 200) / (512 * s), 6);
        // random weights: points sit near the crop centre (docs/testing.md §5), i.e. near the box centre
        for (const [x, y] of r.points) expect(Math.hypot(x - 200, y - 140)).toBeLessThan(50);
        break;
      }
      default:
        throw new Error('unexpected');
    }
  });
});

describe('dense tasks from synthetic maps', () => {
  it('parsing: a 32×32 logit map becomes a 512² crop mask of registry labels', () => {
    const Q = 11,
      side = 32;
    const logits = new Float32Array(Q * side * side);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) logits[(x < 16 ? 4 : 10) * side * side + y * side + x] = 5;
    const r = decodeTaskOutput(
      'parsing_lapa',
      { logits_128: logits },
      { size: 512, matrix: [1, 0, 0, 0, 1, 0], tanhWarp: 0.8 },
    );
    if (r.type !== 'parsing') throw new Error('type');
    expect(r.mask).toHaveLength(512 * 512);
    expect(r.labels[r.mask[100 * 512 + 10]]).toBe('left eye');
    expect(r.labels[r.mask[100 * 512 + 500]]).toBe('hair');
  });
  it('landmarks from heatmaps when the graph gives no points', () => {
    const Q = 19,
      side = 16,
      h = new Float32Array(Q * side * side).fill(-40);
    for (let q = 0; q < Q; q++) h[q * side * side + 8 * side + 4] = 40;
    const r = decodeTaskOutput('align_aflw', { heatmap: h }, { size: 512, matrix: [1, 0, 0, 0, 1, 0] });
    if (r.type !== 'align') throw new Error('type');
    expect(r.set).toBe('aflw');
    expect(r.points[5][0]).toBeCloseTo((4.5 / 16) * 512 - 0.5, 3);
  });
  it('refuses missing outputs, wrong sizes and a missing crop', () => {
    expect(() => decodeTaskOutput('age_morph2', {})).toThrow(/"logits" is missing/);
    expect(() => decodeTaskOutput('recog_ms1mv3', { embedding: new Float32Array(128).fill(1) })).toThrow(
      /expected 512/,
    );
    expect(() => decodeTaskOutput('align_300w', { landmark: new Float32Array(136) })).toThrow(/crop spec/);
    expect(() =>
      decodeTaskOutput(
        'parsing_celebam',
        { logits_128: new Float32Array(19 * 10) },
        { size: 512, matrix: [1, 0, 0, 0, 1, 0] },
      ),
    ).toThrow(/square maps/);
  });
});
