/**
 * Issue 11 (leftover 1): a dropped folder holding several packages is offered as one choice per package (label,
 * variant, precision, download size from each manifest); a folder with one package goes the old way unchanged.
 */
import { describe, expect, it } from 'vitest';
import {
  droppedPackages,
  manifestFolders,
  MAX_SUMMARY_MANIFEST_BYTES,
  splitByPackage,
  summarizeManifest,
} from './dropped-packages.ts';
import type { PickedPackage } from './dropped-files.ts';
import { droppedChoices, pickerGroups, precisionOf } from '../../state/models.ts';

const manifest = (precision: string, weightsBytes: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    format: 'faceptor-web-model',
    label: `Full ${precision}`,
    variant: 'full',
    precision,
    provenance: { untrained: true },
    weights: 'weights.bin',
    files: [
      { path: 'encoder.onnx', size: 10, sha256: 'x' },
      { path: 'weights.bin', size: weightsBytes, sha256: 'y' },
    ],
    ...extra,
  });

/** A drop from paths → file contents (File objects as the browser gives them). */
function drop(tree: Record<string, string>, name = 'models'): PickedPackage {
  const paths = Object.keys(tree);
  return { files: paths.map((p) => new File([tree[p]!], p.split('/').at(-1)!)), paths, name };
}

const THREE = {
  'models/full-fp32/faceptor.json': manifest('fp32', 400),
  'models/full-fp32/encoder.onnx': 'e32',
  'models/full-fp32/weights.bin': 'w32',
  'models/full-q8/faceptor.json': manifest('q8', 115),
  'models/full-q8/encoder.onnx': 'e8',
  'models/full-q8/weights.bin': 'w8',
  'models/full-fp16/faceptor.json': manifest('fp16', 200),
  'models/full-fp16/sub/extra.onnx': 'x16',
  'models/README.txt': 'not a package file',
};

describe('several packages in one dropped folder', () => {
  it('finds each folder holding a faceptor.json, loose files included', () => {
    expect(manifestFolders(Object.keys(THREE))).toEqual(['models/full-fp16/', 'models/full-fp32/', 'models/full-q8/']);
    expect(manifestFolders(['faceptor.json', 'weights.bin', 'old/faceptor.json'])).toEqual(['', 'old/']);
    expect(manifestFolders(['full/encoder.onnx', 'full/my-faceptor.json'])).toEqual([]);
  });

  it("gives each package its own files only, re-rooted as a drop of that folder (the worker's path rule)", async () => {
    const parts = splitByPackage(drop(THREE));
    expect(parts.map((p) => [p.folder, p.picked.name, p.picked.paths])).toEqual([
      ['models/full-fp16/', 'full-fp16', ['full-fp16/faceptor.json', 'full-fp16/sub/extra.onnx']],
      [
        'models/full-fp32/',
        'full-fp32',
        ['full-fp32/faceptor.json', 'full-fp32/encoder.onnx', 'full-fp32/weights.bin'],
      ],
      ['models/full-q8/', 'full-q8', ['full-q8/faceptor.json', 'full-q8/encoder.onnx', 'full-q8/weights.bin']],
    ]);
    // the files travel with their paths: each weights.bin is its own package's
    const q8 = parts[2]!.picked;
    expect(await q8.files[q8.paths.indexOf('full-q8/weights.bin')]!.text()).toBe('w8');
    // loose files beside a package folder: the loose package keeps the top-level files only
    const loose = splitByPackage(
      drop({ 'faceptor.json': '{}', 'weights.bin': 'a', 'old/faceptor.json': '{}', 'old/weights.bin': 'b' }, 'files'),
    );
    expect(loose.map((p) => [p.folder, p.picked.name, p.picked.paths])).toEqual([
      ['', 'files', ['faceptor.json', 'weights.bin']],
      ['old/', 'old', ['old/faceptor.json', 'old/weights.bin']],
    ]);
  });

  it('reads label, variant, precision and weights size from each manifest', async () => {
    const found = await droppedPackages(drop(THREE));
    expect(found?.map((p) => [p.folder, p.summary])).toEqual([
      [
        'models/full-fp16/',
        { label: 'Full fp16', variant: 'full', precision: 'fp16', untrained: true, weightsBytes: 200 },
      ],
      [
        'models/full-fp32/',
        { label: 'Full fp32', variant: 'full', precision: 'fp32', untrained: true, weightsBytes: 400 },
      ],
      ['models/full-q8/', { label: 'Full q8', variant: 'full', precision: 'q8', untrained: true, weightsBytes: 115 }],
    ]);
  });

  it('a folder with one package (or none) is left to the old path: null', async () => {
    expect(await droppedPackages(drop({ 'full/faceptor.json': manifest('fp32', 1), 'full/w.bin': 'w' }))).toBeNull();
    expect(
      await droppedPackages(drop({ 'models/full/faceptor.json': manifest('fp32', 1), 'models/x.txt': '' })),
    ).toBeNull();
    expect(await droppedPackages(drop({ 'models/a.txt': '' }))).toBeNull();
  });

  it('an unreadable, foreign or oversized manifest is still offered, without a summary (loading it names the problem)', async () => {
    const found = await droppedPackages(
      drop({
        'models/a/faceptor.json': '{not json',
        'models/b/faceptor.json': JSON.stringify({ format: 'other', version: 3 }),
        'models/c/faceptor.json': manifest('q4', 74, { weights: 'missing.bin' }),
        'models/d/faceptor.json': manifest('fp32', 1),
      }),
    );
    expect(found?.map((p) => p.summary?.precision ?? null)).toEqual([null, null, 'q4', 'fp32']);
    expect(found?.[2]!.summary).not.toHaveProperty('weightsBytes'); // its weights file is not listed: size unknown
    expect(
      summarizeManifest({
        label: 'x',
        variant: 'full',
        precision: 'fp32',
        weights: 'w',
        files: [{ path: 'w', size: -1 }],
      }),
    ).not.toHaveProperty('weightsBytes');
    expect(summarizeManifest([])).toBeNull();
    // a "manifest" far larger than any real one is not read into memory
    const huge = { size: MAX_SUMMARY_MANIFEST_BYTES + 1, name: 'faceptor.json', text: async () => manifest('fp32', 1) };
    const picked: PickedPackage = {
      files: [huge as unknown as File, new File([manifest('fp16', 2)], 'faceptor.json')],
      paths: ['models/big/faceptor.json', 'models/ok/faceptor.json'],
      name: 'models',
    };
    const readSizes: number[] = [];
    const sizes = await droppedPackages(picked, (f) => {
      readSizes.push(f.size);
      return f.text();
    });
    expect(sizes?.map((p) => p.summary?.precision ?? null)).toEqual([null, 'fp16']);
    expect(readSizes.every((n) => n <= MAX_SUMMARY_MANIFEST_BYTES)).toBe(true);
    expect(readSizes).toHaveLength(1);
  });

  it('the picker offers the packages of one drop as one group, fp32 → q8, each loading its own folder', async () => {
    const choices = droppedChoices('models', (await droppedPackages(drop(THREE)))!);
    const groups = pickerGroups(choices);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.title).toBe('dropped folder models');
    expect(groups[0]!.choices.map(precisionOf)).toEqual(['fp32', 'fp16', 'q8']);
    const fp32 = groups[0]!.choices[0]!;
    expect(fp32.title).toBe('dropped folder models/full-fp32');
    expect(fp32.source).toMatchObject({ kind: 'files', name: 'full-fp32' });
    expect(fp32.source.kind === 'files' && fp32.source.paths).toEqual([
      'full-fp32/faceptor.json',
      'full-fp32/encoder.onnx',
      'full-fp32/weights.bin',
    ]);
    expect(new Set(choices.map((c) => c.key)).size).toBe(3);
  });
});
