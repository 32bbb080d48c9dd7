import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { invertAffine, similarityFrom } from '../align/affine.ts';
import type { CropSpec } from '../align/crops.ts';
import { CELEBAM_COLOURS, CELEBA_ATTRIBUTES, TASKS } from './tasks.ts';
import { imagePointToCrop } from '../image/warp.ts';
import {
  argmaxLastAxis,
  colourLabels,
  decodeAge,
  decodeAttributes,
  decodeExpression,
  l2Normalize,
  labelsToImage,
  landmarksFromHeatmaps,
  landmarksFromNormalised,
  layerAttentionMass,
  logitsToImage,
  parsingLabels,
  presentAttributes,
  sigmoid,
  softArgmax,
  upsampleParsingLogits,
} from './decode.ts';

const GOLDEN = process.env.FACEPTOR_GOLDEN ?? fileURLToPath(new URL('../../../../shared/golden', import.meta.url));
const FULL = `${GOLDEN}/faceptor_full`;
const hasGolden = existsSync(`${FULL}/manifest.json`);
const f32 = (file: string) => {
  const b = readFileSync(`${FULL}/${file}`);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const u8 = (file: string) => new Uint8Array(readFileSync(`${FULL}/${file}`));

/** Seeded pseudo-random numbers (mulberry32) so that failures reproduce. */
const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

describe('age', () => {
  it('hand-computed: equal logits give the mean of 0..100 and a flat distribution', () => {
    const r = decodeAge(new Float32Array(101));
    expect(r.years).toBeCloseTo(50, 10);
    expect(r.distribution[7]).toBeCloseTo(1 / 101, 12);
  });
  it('hand-computed: two dominant bins', () => {
    const z = new Array(101).fill(-50);
    z[20] = 50;
    z[30] = 50; // sigmoid ≈ 1 for both, ≈ 0 elsewhere → 25
    expect(decodeAge(z).years).toBeCloseTo(25, 6);
    expect(decodeAge(z).distribution.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
  it('is a sigmoid + L1 expectation, not a softmax', () => {
    const z = new Array(101).fill(0);
    z[100] = 2; // softmax would give 100·e²/(100 + e²) ≈ 6.88; DLDL gives (50·100... ) below
    const p100 = sigmoid(2),
      rest = 0.5 * 100;
    expect(decodeAge(z).years).toBeCloseTo((0.5 * 5050 - 0.5 * 100 + 100 * p100) / (rest + p100), 10);
  });
  it.skipIf(!hasGolden).each(['age_morph2', 'age_utkface'])(
    'reproduces the golden %s expectation within 1e-4',
    (task) => {
      const logits = f32(`${task}.head_output.f32.bin`),
        ages = f32(`${task}.age_expectation.f32.bin`);
      expect(ages.length).toBe(2);
      for (let n = 0; n < 2; n++)
        expect(Math.abs(decodeAge(logits.subarray(n * 101, (n + 1) * 101)).years - ages[n])).toBeLessThan(1e-4);
    },
  );
  it('refuses a wrong length', () => expect(() => decodeAge(new Float32Array(100))).toThrow(/101/));
});

describe('expression and attributes', () => {
  it('softmax probabilities with the registry labels, hand-computed', () => {
    const r = decodeExpression([0, Math.log(2), 0, 0, 0, 0, Math.log(3)]); // weights 1,2,1,1,1,1,3 → /10
    expect(r.top).toBe('Anger');
    expect(r.topIndex).toBe(6);
    expect(r.probs.Happy).toBeCloseTo(0.2, 12);
    expect(r.probs.Neutral).toBeCloseTo(0.1, 12);
    expect(Object.keys(r.probs)).toEqual(['Neutral', 'Happy', 'Sad', 'Surprise', 'Fear', 'Disgust', 'Anger']);
    expect(() => decodeExpression([1, 2, 3])).toThrow(/7/);
  });
  it('attribute probabilities by name; present = p > 0.5', () => {
    const z = new Array(40).fill(-3);
    z[20] = 2;
    z[31] = 0.1; // Male, Smiling
    const p = decodeAttributes(z);
    expect(p.Male).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(Object.keys(p)).toEqual([...CELEBA_ATTRIBUTES]);
    expect(presentAttributes(p)).toEqual(['Male', 'Smiling']);
    expect(() => decodeAttributes([1, NaN, ...new Array(38).fill(0)])).toThrow(/Arched_Eyebrows/);
  });
  it.skipIf(!hasGolden)('golden logits decode to 7 expression probs and 40 attributes', () => {
    const e = decodeExpression(f32('affect_rafdb.head_output.f32.bin').subarray(0, 7));
    expect(Object.values(e.probs).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(Object.keys(decodeAttributes(f32('biattr_celeba.head_output.f32.bin').subarray(0, 40)))).toHaveLength(40);
  });
});

describe('landmarks', () => {
  it('hand-computed soft-argmax: a sharp peak lands on its pixel centre', () => {
    const h = new Float32Array(16 * 16).fill(-40);
    h[5 * 16 + 9] = 40;
    const [x, y] = softArgmax(h, 16, 16);
    expect(x).toBeCloseTo(9.5 / 16, 6);
    expect(y).toBeCloseTo(5.5 / 16, 6);
    // an all-zero map (p = 0.5 everywhere) gives the centre
    const c = softArgmax(new Float32Array(128 * 128), 128, 128);
    expect(c[0]).toBeCloseTo(0.5, 12);
  });

  it.skipIf(!hasGolden).each(['align_300w', 'align_cofw', 'align_wflw', 'align_aflw'])(
    '%s: soft-argmax of the full golden heatmap reproduces landmark 0 within 1e-5',
    (task) => {
      const heat = f32(`${task}.heatmap_q0_full.f32.bin`),
        lm = f32(`${task}.landmark.f32.bin`);
      expect(heat.length).toBe(128 * 128);
      expect(lm.length).toBe(TASKS[task as 'align_300w'].outputs * 2);
      const [x, y] = softArgmax(heat, 128, 128);
      expect(Math.abs(x - lm[0])).toBeLessThan(1e-5);
      expect(Math.abs(y - lm[1])).toBeLessThan(1e-5);
    },
  );

  it.skipIf(!hasGolden)('sigmoid matches the golden heatmap_acted_q0', () => {
    const raw = f32('align_300w.heatmap.f32.bin'),
      acted = f32('align_300w.heatmap_acted_q0.f32.bin');
    for (let i = 0; i < 27 * 27; i++) expect(Math.abs(sigmoid(raw[i]) - acted[i])).toBeLessThan(1e-6);
  });

  it('maps normalised points to crop pixels (n·512 − 0.5) and to the image through the inverse crop', () => {
    // official box crop, closed form docs/model.md §3.3: x = c + (u − 255.5)·bw/(512·s)
    // the box (100, 40)–(300, 240): centre (200, 140), width 200
    const s = 0.8;
    const k = (512 * s) / 200;
    const spec: CropSpec = { size: 512, matrix: [k, 0, 255.5 - k * 200, 0, k, 255.5 - k * 140] };
    const r = landmarksFromNormalised([0.5, 0.25, 0.001, 0.999], 2, spec);
    expect(r.crop[0]).toEqual([255.5, 127.5]);
    expect(r.image[0][0]).toBeCloseTo(200 + ((255.5 - 255.5) * 200) / (512 * s), 9);
    expect(r.image[0][1]).toBeCloseTo(140 + ((127.5 - 255.5) * 200) / (512 * s), 9);
    expect(r.image[1][0]).toBeCloseTo(200 + ((0.001 * 512 - 0.5 - 255.5) * 200) / (512 * s), 9);
    expect(() => landmarksFromNormalised([0.5], 1, spec)).toThrow(/2 values/);
  });

  it('heatmaps → image points for several landmarks', () => {
    const side = 32,
      h = new Float32Array(2 * side * side).fill(-40);
    h[3 * side + 7] = 40;
    h[side * side + 20 * side + 11] = 40;
    const spec: CropSpec = { size: 512, matrix: invertAffine(similarityFrom(0.5, 0, 10, 20)) };
    const r = landmarksFromHeatmaps(h, 2, side, spec);
    expect(r.crop[0][0]).toBeCloseTo((7.5 / 32) * 512 - 0.5, 3);
    expect(r.image[1][0]).toBeCloseTo(10 + 0.5 * ((11.5 / 32) * 512 - 0.5), 3);
    expect(r.image[1][1]).toBeCloseTo(20 + 0.5 * ((20.5 / 32) * 512 - 0.5), 3);
  });
});

describe('parsing (docs/model.md §6.4)', () => {
  it('matches PyTorch bilinear align_corners=False on the documented 2×2 → 4×4 example', () => {
    const out = upsampleParsingLogits([1, 2, 3, 4], 1, 2, 2, 4, 4);
    expect(Array.from(out)).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
  });

  it('equals a brute-force per-pixel reference, NHWC layout, several classes', () => {
    const r = rng(7),
      Q = 3,
      H = 8,
      W = 6,
      OH = 32,
      OW = 24;
    const logits = Float32Array.from({ length: Q * H * W }, () => r() * 10 - 5);
    const out = upsampleParsingLogits(logits, Q, H, W, OH, OW);
    const axis = (i: number, n: number, o: number) => {
      const src = Math.max((i + 0.5) * (n / o) - 0.5, 0),
        i0 = Math.floor(src);
      return [i0, Math.min(i0 + 1, n - 1), src - i0] as const;
    };
    for (let y = 0; y < OH; y++)
      for (let x = 0; x < OW; x++)
        for (let q = 0; q < Q; q++) {
          const [y0, y1, fy] = axis(y, H, OH),
            [x0, x1, fx] = axis(x, W, OW);
          const g = (yy: number, xx: number) => logits[q * H * W + yy * W + xx];
          const ref = (1 - fy) * ((1 - fx) * g(y0, x0) + fx * g(y0, x1)) + fy * ((1 - fx) * g(y1, x0) + fx * g(y1, x1));
          expect(Math.abs(out[(y * OW + x) * Q + q] - ref)).toBeLessThan(1e-5);
        }
    // the streaming labels equal the arg-max of the materialised map
    expect(Array.from(parsingLabels(logits, Q, H, W, OH, OW))).toEqual(Array.from(argmaxLastAxis(out, Q)));
  });

  it.skipIf(!hasGolden).each([
    ['parsing_celebam', 19],
    ['parsing_lapa', 11],
  ] as const)('%s: reproduces the golden 512 map where the subsampled 128 logits determine it', (task, Q) => {
    // logits_128 is stored at rows/cols 0,5,…,125,127; head_output at 0,17,…,510,511 (docs/testing.md §5). Output
    // rows/cols 0, 510 and 511 read only input rows/cols 0 and 127 (src = 0 clamped; 127.125 and 127.375 with
    // i1 clamped to 127), so those 9 pixels per class are fully determined. Every other input is filled with
    // huge garbage: if the upsample touched it with a non-zero weight, the comparison would fail by ~1e6.
    const sub = f32(`${task}.logits_128.f32.bin`),
      golden = f32(`${task}.head_output.f32.bin`),
      labels = u8(`${task}.labels_512.u8.bin`);
    const idx128 = [...Array.from({ length: 26 }, (_, i) => i * 5), 127];
    const idx512 = [...Array.from({ length: 31 }, (_, i) => i * 17), 511];
    expect(sub.length).toBe(Q * 27 * 27);
    const full = new Float32Array(Q * 128 * 128).fill(1e6);
    for (let q = 0; q < Q; q++)
      for (let a = 0; a < 27; a++)
        for (let b = 0; b < 27; b++) {
          full[q * 128 * 128 + idx128[a] * 128 + idx128[b]] = sub[q * 27 * 27 + a * 27 + b];
        }
    const map = upsampleParsingLogits(full, Q, 128, 128);
    const ours = parsingLabels(full, Q, 128, 128);
    let checked = 0;
    for (const y of [0, 510, 511])
      for (const x of [0, 510, 511]) {
        const gy = idx512.indexOf(y),
          gx = idx512.indexOf(x);
        for (let q = 0; q < Q; q++) {
          const g = golden[(gy * 32 + gx) * Q + q];
          expect(Math.abs(map[(y * 512 + x) * Q + q] - g)).toBeLessThan(1e-4 + 1e-4 * Math.abs(g));
          checked++;
        }
        expect(ours[y * 512 + x]).toBe(labels[y * 512 + x]);
      }
    expect(checked).toBe(9 * Q);
  });

  it('colours labels with the registry colours, background transparent', () => {
    const rgba = colourLabels(new Uint8Array([0, 2, 14]), CELEBAM_COLOURS, 200);
    expect(Array.from(rgba)).toEqual([0, 0, 0, 0, ...CELEBAM_COLOURS[2], 200, ...CELEBAM_COLOURS[14], 200]);
    expect(() => colourLabels(new Uint8Array([40]), CELEBAM_COLOURS)).toThrow(/no colour/);
  });

  it('maps a crop-space mask back into the image (nearest and official bilinear agree on a blocky mask)', () => {
    // crop = image region [100, 356) × [50, 306) scaled ×2: crop pixel u ↔ image x = 100 + (u + 0.5)/2 − 0.5
    const spec: CropSpec = { size: 512, matrix: [2, 0, -200 + 0.5, 0, 2, -100 + 0.5] };
    const labels = new Uint8Array(512 * 512);
    for (let v = 128; v < 384; v++) for (let u = 256; u < 512; u++) labels[v * 512 + u] = 3;
    const m = labelsToImage(labels, spec, 640, 480);
    expect([m.x, m.y, m.width, m.height]).toEqual([100, 50, 256, 256]);
    const at = (x: number, y: number) => m.labels[(y - m.y) * m.width + (x - m.x)];
    expect(at(300, 150)).toBe(3); // crop (400.5, 300.5)
    expect(at(150, 150)).toBe(0); // crop (100.5, 200.5)
    expect(at(300, 260)).toBe(0); // crop v = 420.5: below the block
    const onehot = new Float32Array(512 * 512 * 4);
    for (let i = 0; i < labels.length; i++) onehot[i * 4 + labels[i]] = 1;
    const exact = logitsToImage(onehot, 4, spec, 640, 480);
    let diff = 0;
    for (let i = 0; i < m.labels.length; i++) if (m.labels[i] !== exact.labels[i]) diff++;
    expect(diff).toBeLessThan(m.labels.length * 0.01); // only on the block's edges
  });

  it('maps through the LaPa tanh warp: the crop centre lands on the image point M⁻¹(255.5, 255.5)', () => {
    const spec: CropSpec = { size: 512, matrix: invertAffine(similarityFrom(0.5, 0, 50, 40)), tanhWarp: 0.8 };
    const labels = new Uint8Array(512 * 512).fill(1);
    const m = labelsToImage(labels, spec, 400, 300);
    // centre (255.5, 255.5) in the central band is plain similarity: image (50 + 127.75, 40 + 127.75)
    expect(m.labels[(168 - m.y) * m.width + (178 - m.x)]).toBe(1);
    expect(m.x).toBe(0); // the warped border reaches far beyond the image: the footprint is clipped
  });

  it('bounds the tanh-warped footprint: every image pixel that lands in the crop lies inside it', () => {
    const spec: CropSpec = { size: 512, matrix: invertAffine(similarityFrom(0.1, 0.3, 470, 480)), tanhWarp: 0.8 };
    const box = labelsToImage(new Uint8Array(512 * 512).fill(1), spec, 1000, 1000);
    expect(box.width).toBeLessThan(300); // a small face in a big image: no full-image loop
    let inside = 0;
    for (let y = 0; y < 1000; y++)
      for (let x = 0; x < 1000; x++) {
        const [u, v] = imagePointToCrop(spec, x, y);
        if (u < 0.5 || v < 0.5 || u >= 511.5 || v >= 511.5) continue; // symmetric border of the warp (see labelsToImage)
        inside++;
        expect(x >= box.x && y >= box.y && x < box.x + box.width && y < box.y + box.height, `${x},${y}`).toBe(true);
        expect(box.labels[(y - box.y) * box.width + (x - box.x)]).toBe(1);
      }
    expect(inside).toBeGreaterThan(1000);
  });
});

describe('identity embedding', () => {
  it('L2-normalises and refuses a zero vector', () => {
    expect(Array.from(l2Normalize([3, 4]))).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(() => l2Normalize([0, 0])).toThrow(/zero/);
  });
  it.skipIf(!hasGolden)('the golden 512-d embedding normalises to unit length', () => {
    const e = l2Normalize(f32('recog_ms1mv3.head_output.f32.bin').subarray(0, 512));
    expect(e.reduce((a, v) => a + v * v, 0)).toBeCloseTo(1, 5);
  });
});

describe('layer attention mass', () => {
  it('hand-computed shares per level, pooled over rows and layers', () => {
    // 2 rows × (3 levels × 2 tokens); row 0 puts everything on level 0, row 1 splits 0.5/0.25/0.25
    const w = [0.5, 0.5, 0, 0, 0, 0, 0.25, 0.25, 0.125, 0.125, 0.2, 0.05];
    const r = layerAttentionMass(w, { levels: 3, tokensPerLevel: 2 });
    expect(r.map((l) => l.block)).toEqual([11, 1, 3]);
    expect(r[0].fraction).toBeCloseTo(0.75, 12);
    expect(r[1].fraction).toBeCloseTo(0.125, 12);
    expect(r[2].fraction).toBeCloseTo(0.125, 12);
    const two = layerAttentionMass([w, [0, 0, 1, 0, 0, 0]], { levels: 3, tokensPerLevel: 2 });
    expect(two[1].fraction).toBeCloseTo(1.25 / 3, 12);
    expect(() => layerAttentionMass([1, 2, 3], { levels: 3, tokensPerLevel: 2 })).toThrow(/whole rows/);
  });
});
