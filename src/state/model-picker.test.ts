/**
 * Issue 11 (item 3): the picker offers the precisions a models folder holds, with their download sizes. Packages of
 * one checkpoint (same variant + source sha256), listed or stored in this browser, form one group, fp32 → q4.
 */
import { describe, expect, it } from 'vitest';
import type { ModelIndexEntry } from '../core/faceptor/manifest.ts';
import type { StoredPackage } from '../../workers/browser-export/opfs-store.ts';
import { listedChoice, parseModelIndex, pickerGroups, storedChoice } from './models.ts';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const entry = (
  name: string,
  precision: ModelIndexEntry['precision'],
  extra: Partial<ModelIndexEntry> = {},
): ModelIndexEntry => ({
  name,
  label: `Full ${precision}`,
  variant: 'full',
  precision,
  untrained: false,
  manifest: `${name}/faceptor.json`,
  ...extra,
});
const INDEX = 'https://example.org/models/index.json';

describe('model picker groups', () => {
  it("groups one checkpoint's precisions (listed and stored) in fp32, fp16, q8, q4 order; others stay alone", () => {
    const stored: StoredPackage = {
      id: 'full-q8-x',
      label: 'mine q8',
      variant: 'full',
      precision: 'q8',
      untrained: false,
      sourceFile: 'ckpt.pth.tar',
      sourceSha256: SHA_A,
      exportedAt: '2026-12-01T00:00:00Z',
      bytes: 120,
      weightsBytes: 100,
    };
    const choices = [
      listedChoice(entry('full-fp16', 'fp16', { sourceSha256: SHA_A, weightsBytes: 200 }), INDEX),
      listedChoice(entry('other', 'fp32', { sourceSha256: SHA_B }), INDEX),
      listedChoice(entry('full-fp32', 'fp32', { sourceSha256: SHA_A, weightsBytes: 400 }), INDEX),
      listedChoice(entry('old', 'fp32'), INDEX), // an index written before sizes/hashes were recorded
      storedChoice(stored),
    ];
    const groups = pickerGroups(choices);
    expect(groups.map((g) => [g.title, g.choices.map((c) => c.key)])).toEqual([
      ['Full fp16', ['listed:full-fp32', 'listed:full-fp16', 'stored:full-q8-x']],
      [null, ['listed:other']],
      [null, ['listed:old']],
    ]);
  });

  it('never groups stored packages whose checkpoint sha256 is not recorded yet ("")', () => {
    const pending = (id: string, precision: 'fp16' | 'q8'): StoredPackage => ({
      id,
      label: id,
      variant: 'full',
      precision,
      untrained: false,
      sourceFile: 'ckpt.pth.tar',
      sourceSha256: '',
      exportedAt: '2026-12-01T00:00:00Z',
      bytes: 1,
      weightsBytes: 1,
    });
    const groups = pickerGroups([storedChoice(pending('a', 'fp16')), storedChoice(pending('b', 'q8'))]);
    expect(groups.map((g) => [g.title, g.choices.map((c) => c.key)])).toEqual([
      [null, ['stored:a']],
      [null, ['stored:b']],
    ]);
  });

  it('keeps well-formed sizes and hashes from index.json and drops malformed ones', () => {
    const parsed = parseModelIndex({
      format: 'faceptor-web-model-index',
      packages: [
        entry('a', 'fp16', { weightsBytes: 1234, sourceSha256: SHA_A }),
        { ...entry('b', 'q8'), weightsBytes: -1, sourceSha256: '../../etc' },
        { ...entry('c', 'q4'), weightsBytes: '12 GB', sourceSha256: 42 },
      ],
    });
    expect(parsed[0]).toMatchObject({ weightsBytes: 1234, sourceSha256: SHA_A });
    for (const p of parsed.slice(1)) {
      expect(p).not.toHaveProperty('weightsBytes');
      expect(p).not.toHaveProperty('sourceSha256');
    }
  });
});
