import { describe, expect, it } from 'vitest';
import { attributesOn, expressionRows, headTitle, humaniseAttribute, taskForHead } from './labels.ts';

describe('humaniseAttribute', () => {
  it('turns CelebA identifiers into plain words', () => {
    expect(humaniseAttribute('Wearing_Hat')).toBe('Wearing hat');
    expect(humaniseAttribute('Mouth_Slightly_Open')).toBe('Mouth slightly open');
    expect(humaniseAttribute('Male')).toBe('Male');
    expect(humaniseAttribute('No_Beard')).toBe('No beard');
    expect(humaniseAttribute('5_o_Clock_Shadow')).toBe("5 o'clock shadow");
  });
});

describe('heads', () => {
  it('maps result keys back to registry tasks and datasets', () => {
    expect(taskForHead('age', 'utkface')).toBe('age_utkface');
    expect(taskForHead('affect', 'rafdb')).toBe('affect_rafdb');
    expect(taskForHead('age', 'rafdb')).toBeUndefined();
    expect(headTitle('age', 'morph2')).toBe('MORPH II');
    expect(headTitle('age', 'mystery')).toBe('mystery');
  });
});

describe('attributesOn', () => {
  it('keeps p ≥ 0.5 in CelebA evaluator order (Male is attribute 21, Bald 5, Young 40)', () => {
    expect(attributesOn({ Young: 0.9, Male: 0.5, Bald: 0.7, Smiling: 0.49 })).toEqual([
      { name: 'Bald', p: 0.7 },
      { name: 'Male', p: 0.5 },
      { name: 'Young', p: 0.9 },
    ]);
    expect(attributesOn({ Smiling: 0.1 })).toEqual([]);
  });
});

describe('expressionRows', () => {
  it('lists every label in registry order, whatever order the probabilities came in', () => {
    const rows = expressionRows('rafdb', { Anger: 0.1, Happy: 0.6, Neutral: 0.3 });
    expect(rows.map((r) => r.label)).toEqual(['Neutral', 'Happy', 'Sad', 'Surprise', 'Fear', 'Disgust', 'Anger']);
    expect(rows.map((r) => r.p)).toEqual([0.3, 0.6, 0, 0, 0, 0, 0.1]);
  });
});
