import { describe, expect, it } from 'vitest';
import { TASK_NAMES, VARIANT_TASKS } from '../../core/faceptor/tasks.ts';
import { headKey, resolveTasks, TaskSelectionError } from './select.ts';

const full = VARIANT_TASKS.full;
const base = VARIANT_TASKS.base;

describe('resolveTasks', () => {
  it("'default' picks one head per type, preferring UTKFace/RAF-DB/300W/CelebAMask-HQ on Full", () => {
    expect(resolveTasks('default', full)).toEqual([
      'recog_ms1mv3',
      'age_utkface',
      'biattr_celeba',
      'affect_rafdb',
      'parsing_celebam',
      'align_300w',
    ]);
  });
  it('falls back to the heads a Base package has (MORPH II age)', () => {
    expect(resolveTasks(['age', 'expression', 'landmarks'], base)).toEqual([
      'age_morph2',
      'affect_rafdb',
      'align_300w',
    ]);
  });
  it("'all' is every task of the package; names and aliases mix; order is the package's", () => {
    expect(resolveTasks('all', full)).toEqual([...TASK_NAMES]);
    expect(resolveTasks(['align_aflw', 'identity', 'age_morph2', 'age'], full)).toEqual([
      'recog_ms1mv3',
      'age_morph2',
      'age_utkface',
      'align_aflw',
    ]);
  });
  it('unknown words and tasks the package lacks are errors, naming what exists', () => {
    expect(() => resolveTasks(['smile'], full)).toThrow(TaskSelectionError);
    expect(() => resolveTasks(['smile'], full)).toThrow(/unknown task 'smile'/);
    expect(() => resolveTasks(['align_wflw'], base)).toThrow(/this model has no task align_wflw/);
  });
  it('headKey is the name after the type prefix', () => {
    expect(headKey('align_300w')).toBe('300w');
    expect(headKey('affect_ferplus')).toBe('ferplus');
  });
});
