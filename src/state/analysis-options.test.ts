import { describe, expect, it } from 'vitest';
import type { ModelStatus } from '../../workers/perception-api.ts';
import { faceptorOptions, requestKey } from './analysis-options.ts';
import { DEFAULT_TASKS } from './tasks.ts';

function status(tasks: ModelStatus['info']['tasks'], hasLayerAttention = false): ModelStatus {
  return {
    info: {
      label: 'm',
      variant: 'full',
      precision: 'fp32',
      untrained: false,
      sourceFile: 'x.pth.tar',
      sourceSha256: '0'.repeat(64),
      step: null,
      exporterVersion: '1',
      tasks,
    },
    origin: 'test',
    hasLayerAttention,
    bytes: 1,
  };
}

describe('faceptorOptions', () => {
  it('asks for no Faceptor task without a model', () => {
    expect(faceptorOptions(null, DEFAULT_TASKS)).toEqual({ tasks: [] });
  });

  it('turns one choice per type into one head, and drops types switched off', () => {
    const model = status(['align_300w', 'align_wflw', 'parsing_celebam', 'age_morph2', 'recog_ms1mv3']);
    const settings = {
      ...DEFAULT_TASKS,
      enabled: { ...DEFAULT_TASKS.enabled, parsing: false },
      heads: { align: 'align_wflw' as const },
    };
    expect(faceptorOptions(model, settings).tasks).toEqual(['align_wflw', 'age_morph2', 'recog_ms1mv3']);
  });

  it('asks for the attention chart only when shown and the model has it', () => {
    const shown = { ...DEFAULT_TASKS, showLayerAttention: true };
    expect(faceptorOptions(status(['age_morph2'], true), shown).layerAttention).toBe(true);
    expect(faceptorOptions(status(['age_morph2'], false), shown).layerAttention).toBe(false);
    expect(faceptorOptions(status(['age_morph2'], true), DEFAULT_TASKS).layerAttention).toBe(false);
  });
});

describe('requestKey (is a photo card out of date?)', () => {
  const model = status(['age_morph2', 'age_utkface', 'recog_ms1mv3']);
  const key = (settings = DEFAULT_TASKS, m: ModelStatus | null = model) => requestKey(m, faceptorOptions(m, settings));
  it('changes when a task is switched off, a head changes, or the model changes; not otherwise', () => {
    expect(key()).toBe(key());
    expect(key({ ...DEFAULT_TASKS, enabled: { ...DEFAULT_TASKS.enabled, recog: false } })).not.toBe(key());
    expect(key({ ...DEFAULT_TASKS, heads: { age: 'age_utkface' } })).not.toBe(
      key({ ...DEFAULT_TASKS, heads: { age: 'age_morph2' } }),
    );
    expect(key(DEFAULT_TASKS, { ...model, info: { ...model.info, sourceSha256: '1'.repeat(64) } })).not.toBe(key());
    expect(key(DEFAULT_TASKS, null)).not.toBe(key());
  });
  it('tells apart two packages whose checkpoint sha256 is not recorded yet (""), by where they were loaded from', () => {
    const pending = (origin: string): ModelStatus => ({ ...model, origin, info: { ...model.info, sourceSha256: '' } });
    expect(key(DEFAULT_TASKS, pending('stored as full-fp16-a'))).not.toBe(
      key(DEFAULT_TASKS, pending('stored as full-fp16-b')),
    );
    expect(key(DEFAULT_TASKS, pending('stored as full-fp16-a'))).toBe(
      key(DEFAULT_TASKS, pending('stored as full-fp16-a')),
    );
    // once recorded, the digest is the key again (the origin does not matter)
    expect(key(DEFAULT_TASKS, { ...model, origin: 'elsewhere' })).toBe(key());
  });
});
