import { describe, expect, it } from 'vitest';
import type { Point } from '../types.ts';
import { type Affine, applyAffine, composeAffine, invertAffine, similarityFrom } from './affine.ts';
import { estimateSimilarity } from './similarity.ts';
import { ARCFACE_112, LAPA_512, MEAN_FACE_LANDMARK_BOX_112, fourPointTemplate } from './templates.ts';
import {
  boxCrop512,
  celebamCrop,
  crop112,
  denseCropKindOf,
  landmarkBoxFromKeypoints,
  landmarkCrop,
  lapaCrop,
  officialBoxCrop512,
  planDenseCrops,
} from './crops.ts';
import { tanhAlignedToOutput, tanhOutputToAligned } from './tanhWarp.ts';

const close = (a: readonly number[], b: readonly number[], tol: number) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]), `index ${i}: ${v} vs ${b[i]}`).toBeLessThanOrEqual(tol));
};

/** Keypoints of a face whose 4 fit points are `template` carried into the image by `g` (template → image). */
const faceFromTemplate = (template5: readonly Point[], g: Affine): Point[] => {
  const four = fourPointTemplate(template5).map(([x, y]) => applyAffine(g, x, y) as Point);
  return [...four, applyAffine(g, 0, 60) as Point, applyAffine(g, 112, 60) as Point]; // ears: unused by the fits
};

describe('affine helpers', () => {
  it('compose applies the right-hand matrix first, invert undoes', () => {
    const t: Affine = [1, 0, 10, 0, 1, 20];
    const s: Affine = [2, 0, 0, 0, 2, 0];
    expect(applyAffine(composeAffine(s, t), 1, 1)).toEqual([22, 42]); // scale(translate(p))
    const m = similarityFrom(1.7, 0.4, -3, 9);
    close(composeAffine(invertAffine(m), m), [1, 0, 0, 0, 1, 0], 1e-12);
    expect(() => invertAffine([1, 2, 0, 2, 4, 0])).toThrow(/singular/);
  });
});

describe('estimateSimilarity', () => {
  it('recovers a known similarity from noiseless points', () => {
    const g = similarityFrom(2.3, -0.7, 40.5, -12.25);
    const src: Point[] = [
      [0, 0],
      [10, 3],
      [4, 17],
      [-6, 9],
      [13, -8],
    ];
    close(
      estimateSimilarity(
        src,
        src.map(([x, y]) => applyAffine(g, x, y)),
      ),
      g,
      1e-9,
    );
  });

  it('matches an independent SVD Umeyama (numpy) on noisy points', () => {
    const src: Point[] = [
      [10, 20],
      [50, 22],
      [31, 45],
      [28, 70],
      [5, 5],
    ];
    const dst: Point[] = [
      [101.3, 40.2],
      [180.9, 61.0],
      [130.4, 100.7],
      [111.8, 150.2],
      [92, 27.5],
    ];
    // numpy: U,S,Vt = svd(cov); R = U·D·Vt; c = tr(SD)/var; t = μd − c·R·μs
    close(
      estimateSimilarity(src, dst),
      [1.91598969, -0.33873196, 86.73837113, 0.33873196, 1.91598969, 5.44138144],
      1e-7,
    );
  });

  it('never returns a reflection, even for mirrored targets', () => {
    const src: Point[] = [
      [0, 0],
      [10, 0],
      [0, 5],
    ];
    const m = estimateSimilarity(
      src,
      src.map(([x, y]) => [-x, y] as Point),
    );
    expect(m[0] * m[4] - m[1] * m[3]).toBeGreaterThanOrEqual(0);
  });

  it('refuses bad input with a clear error', () => {
    expect(() => estimateSimilarity([[0, 0]], [[1, 1]])).toThrow(/at least 2/);
    expect(() =>
      estimateSimilarity(
        [
          [0, 0],
          [1, 1],
        ],
        [[0, 0]],
      ),
    ).toThrow(/targets/);
    expect(() =>
      estimateSimilarity(
        [
          [1, 1],
          [1, 1],
        ],
        [
          [0, 0],
          [3, 3],
        ],
      ),
    ).toThrow(/coincide/);
    expect(() =>
      estimateSimilarity(
        [
          [0, NaN],
          [1, 1],
        ],
        [
          [0, 0],
          [3, 3],
        ],
      ),
    ).toThrow(/finite/);
  });
});

describe('templates', () => {
  it('LaPa 512 template equals the numbers of docs/model.md §3.5', () => {
    close(
      LAPA_512.flat(),
      [195.6172, 225.5586, 315.3828, 225.5586, 255.5, 285.4414, 219.5703, 359.6961, 291.4297, 359.6961],
      1e-4,
    );
  });

  it('the ArcFace fit maps the template points onto themselves (identity) and undoes a known transform', () => {
    close(crop112(faceFromTemplate(ARCFACE_112, [1, 0, 0, 0, 1, 0])).matrix, [1, 0, 0, 0, 1, 0], 1e-9);
    const g = similarityFrom(3.1, 0.3, 250, 120); // template → image: a face 3.1× larger, rolled by 0.3 rad
    const spec = crop112(faceFromTemplate(ARCFACE_112, g));
    expect(spec.size).toBe(112);
    close(spec.matrix, invertAffine(g), 1e-9);
    // the image eyes land exactly on the template eyes
    const kps = faceFromTemplate(ARCFACE_112, g);
    close(applyAffine(spec.matrix, ...kps[0]), ARCFACE_112[0], 1e-9);
    close(applyAffine(spec.matrix, ...kps[1]), ARCFACE_112[1], 1e-9);
  });

  it('rejects missing or broken keypoints', () => {
    expect(() =>
      crop112([
        [1, 2],
        [3, 4],
      ]),
    ).toThrow(/keypoints/);
    expect(() =>
      crop112([
        [1, 2],
        [1, 2],
        [3, 3],
        [4, 4],
      ]),
    ).toThrow(/coincide/);
    expect(() =>
      crop112([
        [1, 2],
        [5, NaN],
        [3, 3],
        [4, 4],
      ]),
    ).toThrow(/finite/);
  });
});

describe('group B crops', () => {
  it('box crop equals the closed form of docs/model.md §3.3: x = c + (u − 255.5)·bw/(512·s)', () => {
    const [x1, y1, x2, y2, s] = [100, 50, 300, 290, 0.8];
    const inv = invertAffine(officialBoxCrop512(x1, y1, x2, y2, s).matrix);
    for (const [u, v] of [
      [0, 0],
      [255.5, 255.5],
      [511, 17],
      [100.25, 400],
    ]) {
      close(
        applyAffine(inv, u, v),
        [(x1 + x2) / 2 + ((u - 255.5) * (x2 - x1)) / (512 * s), (y1 + y2) / 2 + ((v - 255.5) * (y2 - y1)) / (512 * s)],
        1e-9,
      );
    }
    // the square helper agrees with the official composition for an axis-aligned square box
    close(
      boxCrop512({ cx: 200, cy: 170, side: 200, angle: 0 }, 0.8).matrix,
      officialBoxCrop512(100, 70, 300, 270, 0.8).matrix,
      1e-9,
    );
  });

  it('the landmark box follows the face: mean-face box scaled, moved and rolled with the keypoints', () => {
    const g = similarityFrom(2, 0, 30, 40);
    const box = landmarkBoxFromKeypoints(faceFromTemplate(ARCFACE_112, g));
    close(
      [box.cx, box.cy, box.side, box.angle],
      [
        2 * MEAN_FACE_LANDMARK_BOX_112.cx + 30,
        2 * MEAN_FACE_LANDMARK_BOX_112.cy + 40,
        2 * MEAN_FACE_LANDMARK_BOX_112.side,
        0,
      ],
      1e-9,
    );
    const rolled = landmarkBoxFromKeypoints(faceFromTemplate(ARCFACE_112, similarityFrom(2, 0.25, 30, 40)));
    expect(rolled.angle).toBeCloseTo(0.25, 9);
    expect(landmarkBoxFromKeypoints(faceFromTemplate(ARCFACE_112, similarityFrom(2, 0.25, 30, 40)), false).angle).toBe(
      0,
    );
  });

  it('the upright landmark crop levels a rolled head: both eyes on one crop row, face centred', () => {
    const kps = faceFromTemplate(ARCFACE_112, similarityFrom(2.5, -0.4, 300, 100));
    const m = landmarkCrop(kps, 0.8).matrix;
    const [l, r] = [applyAffine(m, ...kps[0]), applyAffine(m, ...kps[1])];
    // template eyes differ by 0.195 px in y at 112; in the crop that is 0.195·512·0.8/83.45 ≈ 0.96 px
    expect(Math.abs(l[1] - r[1])).toBeCloseTo((0.1949 * (512 * 0.8)) / MEAN_FACE_LANDMARK_BOX_112.side, 6);
    expect(l[0]).toBeLessThan(r[0]);
    // the mean-face box centre lands on the crop centre
    const [cx, cy] = applyAffine(
      similarityFrom(2.5, -0.4, 300, 100),
      MEAN_FACE_LANDMARK_BOX_112.cx,
      MEAN_FACE_LANDMARK_BOX_112.cy,
    );
    close(applyAffine(m, cx, cy), [255.5, 255.5], 1e-9);
  });

  it('LaPa crop: 4-point fit to the 512 template and the tanh warp f = 0.8', () => {
    const g = similarityFrom(0.5, -0.1, 80, 60);
    const spec = lapaCrop(faceFromTemplate(LAPA_512, g));
    expect(spec.tanhWarp).toBe(0.8);
    close(spec.matrix, invertAffine(g), 1e-9);
  });

  it('CelebA-HQ crop: the hand-computed quad of the recipe', () => {
    // eyes (100,100) (140,100), mouth (120,150): e2e = 40, e2m = 50 → half-side max(80, 90) = 90, centre (120, 105)
    const spec = celebamCrop([
      [100, 100],
      [140, 100],
      [120, 130],
      [120, 150],
      [80, 110],
      [160, 110],
    ]);
    close(applyAffine(spec.matrix, 30, 15), [-0.5, -0.5], 1e-9);
    close(applyAffine(spec.matrix, 210, 195), [511.5, 511.5], 1e-9);
    close(applyAffine(spec.matrix, 120, 105), [255.5, 255.5], 1e-9);
  });

  it('plans one shared 512 pass, exact per-framing passes, or none', () => {
    const kps = faceFromTemplate(ARCFACE_112, similarityFrom(2, 0, 30, 40));
    const shared = planDenseCrops(kps, ['age_morph2', 'align_300w', 'align_aflw', 'parsing_lapa', 'parsing_celebam']);
    expect(shared).toHaveLength(1);
    expect(shared[0].tasks).toEqual(['align_300w', 'align_aflw', 'parsing_lapa', 'parsing_celebam']);
    const exact = planDenseCrops(
      kps,
      ['align_300w', 'align_wflw', 'align_aflw', 'parsing_lapa', 'parsing_celebam'],
      'exact',
    );
    expect(exact.map((p) => [p.kind, p.tasks])).toEqual([
      ['box_0.8', ['align_300w', 'align_wflw']],
      ['box_1.0', ['align_aflw']],
      ['lapa', ['parsing_lapa']],
      ['celebam', ['parsing_celebam']],
    ]);
    expect(planDenseCrops(kps, ['recog_ms1mv3', 'age_morph2'])).toEqual([]);
    expect(() => denseCropKindOf('age_morph2')).toThrow(/not a 512/);
  });
});

describe('tanh warp', () => {
  it('is the identity in the central band and matches hand-computed values outside', () => {
    for (const u of [205, 255.5, 300]) expect(tanhOutputToAligned(u, 512, 0.8)).toBeCloseTo(u, 12);
    expect(tanhOutputToAligned(500, 512, 0.8)).toBeCloseTo(665.6552780794285, 9); // atanh((a−0.2)/0.8)·0.8+0.2
    expect(tanhAlignedToOutput(600, 512, 0.8)).toBeCloseTo(489.8002002644232, 9); // tanh((a−0.2)/0.8)·0.8+0.2
  });
  it('forward and inverse are inverses (away from the 0.999 clamp)', () => {
    for (let u = 1; u < 512; u += 7.3)
      expect(tanhAlignedToOutput(tanhOutputToAligned(u, 512, 0.8), 512, 0.8)).toBeCloseTo(u, 6);
    expect(tanhOutputToAligned(0, 512, 0.8)).toBeCloseTo(((Math.atanh(-0.999) * 0.8 - 0.2 + 1) / 2) * 512, 9); // the clamp
  });
});
