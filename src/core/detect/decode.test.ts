import { describe, expect, it } from 'vitest';
import { decodeBlazeFace } from './decode.ts';
import { blazeFaceAnchors } from './blazeface.ts';

const OPTS = { coordScale: 128, numKeypoints: 6, numCoords: 16, minScore: 0.5 };

/** Raw outputs shaped like the front model's: 512 + 384 anchors, all confidently "no face". */
function blankOutputs() {
  return {
    scores: [new Float32Array(512).fill(-10), new Float32Array(384).fill(-10)],
    boxes: [new Float32Array(512 * 16), new Float32Array(384 * 16)],
  };
}

describe('decodeBlazeFace', () => {
  it('decodes a crafted regressor relative to its anchor (x, y, w, h order, pixels / 128)', () => {
    const { scores, boxes } = blankOutputs();
    // Anchor 2 has centre (1.5/16, 0.5/16) = (0.09375, 0.03125).
    scores[0][2] = 2;
    boxes[0].set([12.8, -6.4, 32, 64, /* kps */ 0, 0, 12.8, 12.8, -12.8, 25.6, 64, -64, 1.28, 2.56, -1.28, 0], 2 * 16);
    const [d, ...rest] = decodeBlazeFace(scores, boxes, blazeFaceAnchors('front'), OPTS);
    expect(rest).toHaveLength(0);
    // centre = (0.1 + 0.09375, -0.05 + 0.03125) = (0.19375, -0.01875); size (0.25, 0.5)
    expect(d.xMin).toBeCloseTo(0.06875, 6);
    expect(d.xMax).toBeCloseTo(0.31875, 6);
    expect(d.yMin).toBeCloseTo(-0.26875, 6);
    expect(d.yMax).toBeCloseTo(0.23125, 6);
    expect(d.score).toBeCloseTo(1 / (1 + Math.exp(-2)), 6); // 0.880797
    const expected = [
      0.09375, 0.03125, 0.19375, 0.13125, -0.00625, 0.23125, 0.59375, -0.46875, 0.10375, 0.05125, 0.08375, 0.03125,
    ];
    expected.forEach((v, i) => expect(d.keypoints[i]).toBeCloseTo(v, 6));
  });

  it('indexes the second output chunk after the first (anchor 512 = first stride-16 cell)', () => {
    const { scores, boxes } = blankOutputs();
    scores[1][0] = 5;
    boxes[1].set([0, 0, 16, 16], 0);
    const [d] = decodeBlazeFace(scores, boxes, blazeFaceAnchors('front'), OPTS);
    expect((d.xMin + d.xMax) / 2).toBeCloseTo(0.0625, 6);
    expect(d.xMax - d.xMin).toBeCloseTo(0.125, 6);
  });

  it('applies the score threshold and clips huge logits instead of overflowing', () => {
    const { scores, boxes } = blankOutputs();
    scores[0][0] = 1e6; // clipped to 100 → sigmoid(100) = 1, not NaN
    scores[0][10] = 0.1; // sigmoid 0.525: kept at 0.5, dropped at 0.6
    scores[0][20] = -0.1; // 0.475: dropped at 0.5
    const at05 = decodeBlazeFace(scores, boxes, blazeFaceAnchors('front'), OPTS);
    expect(at05).toHaveLength(2);
    expect(at05[0].score).toBe(1);
    expect(at05[1].score).toBeCloseTo(0.524979, 6); // 1 / (1 + e^-0.1)
    expect(decodeBlazeFace(scores, boxes, blazeFaceAnchors('front'), { ...OPTS, minScore: 0.6 })).toHaveLength(1);
  });

  it('rejects outputs that do not match the anchor scheme', () => {
    expect(() =>
      decodeBlazeFace([new Float32Array(10)], [new Float32Array(160)], blazeFaceAnchors('front'), OPTS),
    ).toThrow(/896 anchors/);
    const { scores } = blankOutputs();
    expect(() =>
      decodeBlazeFace(scores, [new Float32Array(512 * 16), new Float32Array(10)], blazeFaceAnchors('front'), OPTS),
    ).toThrow(/chunk 1/);
  });
});
