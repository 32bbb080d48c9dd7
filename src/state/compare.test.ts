import { describe, expect, it } from 'vitest';
import { pickInto, type CompareSide } from './compare.ts';
describe('picking sides', () => {
  const side = (key: string): CompareSide => ({ key, label: key, embeddings: [], crop: null, untrained: false });
  it('fills A, then B, then replaces B; picking a side already there changes nothing', () => {
    let s = pickInto([null, null], side('x'));
    expect(s.map((v) => v?.key)).toEqual(['x', undefined]);
    s = pickInto(s, side('x'));
    expect(s.map((v) => v?.key)).toEqual(['x', undefined]);
    s = pickInto(s, side('y'));
    s = pickInto(s, side('z'));
    expect(s.map((v) => v?.key)).toEqual(['x', 'z']);
    expect(pickInto([null, side('b')], side('a')).map((v) => v?.key)).toEqual(['a', 'b']);
  });
});
