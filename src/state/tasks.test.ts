import { describe, expect, it } from 'vitest';
import { TASK_NAMES, VARIANT_TASKS, type TaskName } from '../core/faceptor/tasks.ts';
import { DEFAULT_TASKS, headsOf, initialTasks, selectedTasks, typesIn, useTasks } from './tasks.ts';

const FULL: readonly TaskName[] = TASK_NAMES;

describe('selectedTasks', () => {
  it('runs one head per type with the defaults on a Full model', () => {
    // Default heads (select.ts): UTKFace age, RAF-DB expression, CelebAMask-HQ parsing, 300W landmarks.
    expect(selectedTasks(DEFAULT_TASKS, FULL)).toEqual([
      'recog_ms1mv3',
      'age_utkface',
      'biattr_celeba',
      'affect_rafdb',
      'parsing_celebam',
      'align_300w',
    ]);
  });

  it('leaves out a disabled type', () => {
    const choices = { ...DEFAULT_TASKS, enabled: { ...DEFAULT_TASKS.enabled, parsing: false, recog: false } };
    expect(selectedTasks(choices, FULL)).toEqual(['age_utkface', 'biattr_celeba', 'affect_rafdb', 'align_300w']);
  });

  it('uses a chosen head, and falls back to the default head when the model lacks it', () => {
    const choices = {
      enabled: DEFAULT_TASKS.enabled,
      heads: { align: 'align_wflw', age: 'age_morph2', affect: 'affect_ferplus' } as const,
    };
    expect(selectedTasks(choices, FULL)).toEqual([
      'recog_ms1mv3',
      'age_morph2',
      'biattr_celeba',
      'affect_ferplus',
      'parsing_celebam',
      'align_wflw',
    ]);
    // Base has neither WFLW nor FERPlus: 300W and RAF-DB; MORPH II is Base's only age head.
    expect(selectedTasks(choices, VARIANT_TASKS.base)).toEqual([
      'recog_ms1mv3',
      'age_morph2',
      'biattr_celeba',
      'affect_rafdb',
      'parsing_celebam',
      'align_300w',
    ]);
  });

  it('ignores a head stored under the wrong type, and runs nothing without a model', () => {
    const choices = { enabled: DEFAULT_TASKS.enabled, heads: { align: 'parsing_lapa' as TaskName } };
    expect(selectedTasks(choices, FULL)).toContain('align_300w');
    expect(selectedTasks(choices, FULL)).not.toContain('parsing_lapa');
    expect(selectedTasks(DEFAULT_TASKS, [])).toEqual([]);
  });
});

describe('task rows', () => {
  it('lists the types a model has and their heads', () => {
    expect(typesIn(['age_morph2', 'align_300w'])).toEqual(['age', 'align']);
    expect(headsOf('align', FULL)).toEqual(['align_300w', 'align_cofw', 'align_wflw', 'align_aflw']);
    expect(headsOf('parsing', VARIANT_TASKS.base)).toEqual(['parsing_celebam']);
  });
});

describe('stored task settings', () => {
  it('keeps each valid value and drops bad ones', () => {
    const s = initialTasks({
      enabled: { age: false, parsing: 'no' },
      heads: { align: 'align_aflw', age: 'align_wflw', affect: 'nonsense' },
      showLayerAttention: true,
    });
    expect(s.enabled.age).toBe(false);
    expect(s.enabled.parsing).toBe(true);
    expect(s.heads).toEqual({ align: 'align_aflw' });
    expect(s.showLayerAttention).toBe(true);
    expect(initialTasks(null)).toEqual(DEFAULT_TASKS);
  });

  it('store actions change the selection', () => {
    const store = useTasks.getState();
    store.setEnabled('recog', false);
    store.setHead('parsing', 'parsing_lapa');
    store.setHead('age', 'parsing_celebam'); // wrong type: refused
    const s = useTasks.getState();
    expect(selectedTasks(s, FULL)).toEqual([
      'age_utkface',
      'biattr_celeba',
      'affect_rafdb',
      'parsing_lapa',
      'align_300w',
    ]);
  });
});
