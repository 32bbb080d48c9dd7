import { describe, expect, it } from 'vitest';
import { checkFiniteOutputs, NonFiniteOutputError, taskFailureMessage, taskTitle } from './task-failure.ts';

describe('per-task failure in plain words', () => {
  it('finds NaN and ±∞ in any output and counts them', () => {
    expect(() => checkFiniteOutputs('age_morph2', { logits: [0, 1, 2] })).not.toThrow();
    const err = (() => {
      try {
        checkFiniteOutputs('age_morph2', { logits: [0, Number.NaN, Infinity, -Infinity, 4] });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NonFiniteOutputError);
    expect((err as NonFiniteOutputError).count).toBe(3);
    expect((err as NonFiniteOutputError).output).toBe('logits');
  });

  it('names the task by what the UI calls it and says what is left out', () => {
    expect(taskTitle('recog_ms1mv3')).toBe('Identity (MS1MV3)');
    expect(taskTitle('align_300w')).toBe('Landmarks (300W)');
    expect(taskFailureMessage('recog_ms1mv3', new NonFiniteOutputError('recog_ms1mv3', 'embedding', 512, 512))).toBe(
      'Identity (MS1MV3) failed for this face: the model gave invalid numbers (512 of 512 values of its output "embedding" are not finite numbers (NaN or ∞)), so this result is left out',
    );
    expect(taskFailureMessage('parsing_lapa', new Error('"logits_128" holds 5 values'))).toMatch(
      /^Face parsing \(LaPa\) failed for this face: its output could not be decoded \("logits_128" holds 5 values\)/,
    );
  });
});
