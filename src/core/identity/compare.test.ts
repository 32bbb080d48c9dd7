import { describe, expect, it } from 'vitest';
import { compareSides } from './compare.ts';

const m = 'model-a';
describe('compareSides', () => {
  it('is the cosine of the two vectors (hand-computed), with the verdict at the threshold', () => {
    // (1,2,2)·(2,1,2) = 8, |a| = |b| = 3 → 8/9
    const r = compareSides([{ vector: [1, 2, 2], model: m }], [{ vector: [2, 1, 2], model: m }], 0.9);
    expect(r).toMatchObject({ ok: true, pairs: 1, same: false });
    expect(r.ok && r.similarity).toBeCloseTo(8 / 9, 12);
    const at = compareSides([{ vector: [1, 2, 2], model: m }], [{ vector: [2, 1, 2], model: m }], 8 / 9);
    expect(at.ok && at.same).toBe(true); // at the threshold counts as the same person, like the gallery's match
  });
  it("takes the best pair over a person's samples, and only pairs of the same model", () => {
    const person = [
      { vector: [0, 1], model: m },
      { vector: [1, 0], model: m },
      { vector: [1, 0.001], model: 'other' },
    ];
    const r = compareSides([{ vector: [3, 0.1], model: m }], person, 0.5);
    expect(r).toMatchObject({ ok: true, pairs: 2, same: true });
    expect(r.ok && r.similarity).toBeCloseTo(3 / Math.hypot(3, 0.1), 12);
  });
  it('says why when nothing can be compared', () => {
    expect(compareSides([], [{ vector: [1], model: m }], 0.3)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no identity embedding/),
    });
    expect(compareSides([{ vector: [1, 0], model: m }], [{ vector: [1, 0], model: 'b' }], 0.3)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/different models/),
    });
    expect(compareSides([{ vector: [1, 0], model: null }], [{ vector: [1, 0], model: null }], 0.3)).toMatchObject({
      ok: false,
    });
    // "" (checkpoint sha256 not recorded yet) names no model: two such faces may come from different checkpoints
    expect(compareSides([{ vector: [1, 0], model: '' }], [{ vector: [1, 0], model: '' }], 0.3)).toMatchObject({
      ok: false,
    });
    expect(compareSides([{ vector: [1, 0], model: m }], [{ vector: [1, 0, 0], model: m }], 0.3)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/differ in size/),
    });
  });
});
