import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { TASK_NAMES, VARIANT_TASKS, type TaskName } from '../../core/faceptor/tasks.ts';
import { DEFAULT_TASKS, type TaskSettings } from '../../state/tasks.ts';
import type { ModelStatus } from '../../../workers/perception-api.ts';
import { TaskControls, TaskControlsView, headTitle } from './TaskControls.tsx';

function withModel(
  tasks: readonly TaskName[],
  hasLayerAttention = false,
  settings: TaskSettings = DEFAULT_TASKS,
): string {
  const current: ModelStatus = {
    info: {
      label: 'm',
      variant: 'full',
      precision: 'fp32',
      untrained: false,
      sourceFile: 'f',
      sourceSha256: '0'.repeat(64),
      step: null,
      exporterVersion: '1',
      tasks,
    },
    origin: 'test',
    hasLayerAttention,
    bytes: 1,
  };
  const actions = { setEnabled() {}, setHead() {}, setShowLayerAttention() {} };
  return renderToStaticMarkup(createElement(TaskControlsView, { current, settings, actions }));
}

const count = (html: string, needle: RegExp) => (html.match(needle) ?? []).length;

describe('task controls', () => {
  it('renders nothing without a model', () => {
    expect(renderToStaticMarkup(createElement(TaskControls))).toBe('');
  });

  it('gives Full six rows and a head choice only where it has several heads', () => {
    const html = withModel(TASK_NAMES);
    expect(count(html, /data-testid="task-toggle"/g)).toBe(6);
    const headTypes = [...html.matchAll(/data-testid="task-head" data-type="(\w+)"/g)].map((m) => m[1]);
    expect(headTypes.sort()).toEqual(['affect', 'age', 'align', 'parsing']);
    expect(html).toContain('68 points (300W)');
    expect(html).toContain('19 classes (CelebAMask-HQ)');
    expect(html).toContain('11 classes (LaPa)');
    expect(html).not.toContain('task-layer-attention');
  });

  it('gives Base a head choice only for expression (its one type with two heads)', () => {
    const html = withModel(VARIANT_TASKS.base);
    // Base: one age (MORPH II), two expressions (AffectNet, RAF-DB), one parsing, one landmark set.
    const headTypes = [...html.matchAll(/data-testid="task-head" data-type="(\w+)"/g)].map((m) => m[1]);
    expect(headTypes).toEqual(['affect']);
  });

  it('shows the Layer-Attention switch only for models with attention weights, and reflects state', () => {
    const html = withModel(TASK_NAMES, true, { ...DEFAULT_TASKS, enabled: { ...DEFAULT_TASKS.enabled, age: false } });
    expect(html).toContain('data-testid="task-layer-attention"');
    expect(html).toMatch(/data-testid="task-toggle" data-type="age" data-on="false"/);
    expect(html).toMatch(/data-testid="task-toggle" data-type="recog" data-on="true"/);
  });

  it('shows the stored head where the model has it, else the default head', () => {
    const html = withModel(TASK_NAMES, false, { ...DEFAULT_TASKS, heads: { align: 'align_wflw' } });
    expect(html).toContain('<option value="align_wflw" selected="">');
    expect(html).toContain('<option value="age_utkface" selected="">');
    const base = withModel(VARIANT_TASKS.base, false, { ...DEFAULT_TASKS, heads: { affect: 'affect_ferplus' } });
    expect(base).toContain('<option value="affect_rafdb" selected="">');
  });

  it('titles heads from the registry', () => {
    expect(headTitle('align_wflw')).toBe('98 points (WFLW)');
    expect(headTitle('age_morph2')).toBe('MORPH II');
    expect(headTitle('affect_ferplus')).toBe('FERPlus');
  });
});
