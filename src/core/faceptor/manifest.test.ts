/** parseManifest: accepts a well-formed package description and names what is wrong otherwise. */
import { describe, expect, it } from 'vitest';
import {
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  ManifestError,
  modelIdentityKey,
  packagePathProblem,
  parseManifest,
} from './manifest.ts';

const HASH = 'a'.repeat(64);
function sample(): Record<string, unknown> {
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    label: 'golden fixture — random weights',
    variant: 'base',
    precision: 'fp32',
    provenance: {
      sourceFile: 'checkpoint.pth.tar',
      sourceSize: 123,
      sourceSha256: HASH,
      step: 50000,
      exporter: 'x',
      exporterVersion: '1',
      exportedAt: '2026-11-28T00:00:00Z',
      untrained: true,
    },
    dims: {
      vitWidth: 64,
      vitLayers: 12,
      vitHeads: 4,
      patch: 16,
      decoderWidth: 32,
      decoderHeads: 8,
      decoderLayers: 9,
      decoderLevels: 1,
      recogEmbedding: 512,
    },
    parameters: 1000,
    weights: 'weights.bin',
    encoder: {
      file: 'encoder.onnx',
      input: { name: 'image', dims: ['N', 3, 'H', 'H'] },
      outputs: [{ name: 'feat_11', dims: ['N', 'S2', 64] }],
      groups: [
        { group: 112, feeds: [{ name: 'pos', type: 'float32', dims: [1, 50, 64], offset: 64, length: 50 * 64 * 4 }] },
      ],
    },
    heads: [
      {
        name: 'decoder',
        file: 'decoder.onnx',
        kind: 'decoder',
        inputs: ['feat_11'],
        outputs: [{ name: 'logits', dims: ['N', 'Q'] }],
        groups: [{ group: 112, feeds: [{ name: 'grid_shape', type: 'int64', dims: [4], values: [0, 32, 7, 7] }] }],
      },
    ],
    tasks: [
      {
        name: 'age_morph2',
        type: 'age',
        group: 112,
        queries: 101,
        graph: 'decoder',
        queryOffset: 0,
        outputs: [{ name: 'logits', from: 'logits', dims: ['N', 'Q'] }],
      },
    ],
    fused: ['LayerNormalization'],
    files: [
      { path: 'weights.bin', size: 64 + 50 * 64 * 4, sha256: HASH },
      ...['encoder.onnx', 'decoder.onnx'].map((path) => ({ path, size: 1, sha256: HASH })),
    ],
  };
}

describe('parseManifest', () => {
  it('treats a label that says random/fixture/untrained as untrained even when the flag is false', () => {
    const flagOff = (label: string) => ({
      ...sample(),
      label,
      provenance: { ...(sample().provenance as object), untrained: false },
    });
    expect(parseManifest(flagOff('golden fixture — random weights')).provenance.untrained).toBe(true);
    expect(parseManifest(flagOff('Untrained test model')).provenance.untrained).toBe(true);
    expect(parseManifest(flagOff('Faceptor-Full (official, step 50000)')).provenance.untrained).toBe(false);
    expect(parseManifest(flagOff('randomised-crop finetune')).provenance.untrained).toBe(false);
  });
  it('accepts a complete manifest and takes the task type from the registry', () => {
    const m = parseManifest(sample());
    expect(m.tasks[0].type).toBe('age');
    expect(m.encoder.outputs[0].name).toBe('feat_11');
    expect(m.encoder.groups[0].feeds[0]).toEqual({
      name: 'pos',
      type: 'float32',
      dims: [1, 50, 64],
      offset: 64,
      length: 12800,
    });
  });
  it('refuses something that is not a Faceptor manifest', () => {
    expect(() => parseManifest({ hello: 1 })).toThrow(/not a Faceptor model manifest/);
    expect(() => parseManifest(null)).toThrow(ManifestError);
  });
  it('refuses a newer format version with advice', () => {
    expect(() => parseManifest({ ...sample(), formatVersion: MANIFEST_VERSION + 1 })).toThrow(
      /newer than this app supports.*update/,
    );
  });
  it('refuses a version-1 package (an encoder per size, a graph per task) with re-export advice', () => {
    expect(MANIFEST_VERSION).toBe(2);
    expect(() => parseManifest({ ...sample(), formatVersion: 1 })).toThrow(
      /format version 1 is older .*re-export the package with `npm run export`/,
    );
  });
  it('names a missing or ill-typed field', () => {
    const m = sample();
    delete (m.provenance as Record<string, unknown>).sourceSha256;
    expect(() => parseManifest(m)).toThrow("provenance: missing field 'sourceSha256'");
    expect(() => parseManifest({ ...sample(), variant: 'huge' })).toThrow(/unknown variant 'huge'/);
    expect(() => parseManifest({ ...sample(), precision: 'int8' })).toThrow(
      /precision must be one of fp32, fp16, q8, q4/,
    );
  });
  it('takes a source sha256 of 64 lower-case hex digits or "" (not recorded yet), nothing else', () => {
    const withSha = (v: unknown) => {
      const m = sample();
      (m.provenance as Record<string, unknown>).sourceSha256 = v;
      return m;
    };
    expect(parseManifest(withSha('')).provenance.sourceSha256).toBe('');
    expect(parseManifest(withSha(HASH)).provenance.sourceSha256).toBe(HASH);
    for (const bad of ['A'.repeat(64), 'a'.repeat(63), ' ', 'pending', 42, null])
      expect(() => parseManifest(withSha(bad)), String(bad)).toThrow(
        /provenance: field 'sourceSha256' must be 64 lower-case hex digits or "" \(not recorded\)/,
      );
  });
  it('a source sha256 not recorded yet is no identity key', () => {
    expect(modelIdentityKey('')).toBeNull();
    expect(modelIdentityKey(undefined)).toBeNull();
    expect(modelIdentityKey(HASH)).toBe(HASH);
  });
  it('checks consistency: task names, groups, encoder outputs and listed files', () => {
    const unknownTask = sample();
    (unknownTask.tasks as Record<string, unknown>[])[0].name = 'age_imdb';
    expect(() => parseManifest(unknownTask)).toThrow(/unknown task 'age_imdb'/);
    const wrongGroup = sample();
    (wrongGroup.tasks as Record<string, unknown>[])[0].group = 512;
    expect(() => parseManifest(wrongGroup)).toThrow(/belongs to group 112/);
    const noFeature = sample();
    (noFeature.heads as Record<string, unknown>[])[0].inputs = ['feat_5'];
    expect(() => parseManifest(noFeature)).toThrow(/head graph decoder needs feat_5 from the encoder/);
    const noGraph = sample();
    (noGraph.tasks as Record<string, unknown>[])[0].graph = 'naive_age';
    expect(() => parseManifest(noGraph)).toThrow(/computed by graph 'naive_age', which the package lacks/);
    const badOutput = sample();
    (badOutput.tasks as Record<string, unknown>[])[0].outputs = [{ name: 'logits', from: 'maps', dims: ['N'] }];
    expect(() => parseManifest(badOutput)).toThrow(/reads maps, which graph decoder does not output/);
    const noOffset = sample();
    (noOffset.tasks as Record<string, unknown>[])[0].queryOffset = null;
    expect(() => parseManifest(noOffset)).toThrow(/decoder task needs a queryOffset/);
    const unlisted = sample();
    unlisted.files = (unlisted.files as { path: string }[]).filter((f) => f.path !== 'weights.bin');
    expect(() => parseManifest(unlisted)).toThrow(/'weights.bin' is used but not listed/);
    const feedPastEnd = sample();
    (feedPastEnd.encoder as { groups: { feeds: Record<string, unknown>[] }[] }).groups[0].feeds[0].offset = 128;
    expect(() => parseManifest(feedPastEnd)).toThrow(/feed pos lies beyond the end of weights.bin/);
    const feedWrongLength = sample();
    (feedWrongLength.encoder as { groups: { feeds: Record<string, unknown>[] }[] }).groups[0].feeds[0].length = 12;
    expect(() => parseManifest(feedWrongLength)).toThrow(/4-byte aligned and 12800 bytes/);
    const badInts = sample();
    (badInts.heads as { groups: { feeds: Record<string, unknown>[] }[] }[])[0].groups[0].feeds[0].values = [
      0, 1.5, 7, 7,
    ];
    expect(() => parseManifest(badInts)).toThrow(/values must be 4 integers/);
    const badHash = sample();
    (badHash.files as Record<string, unknown>[])[0].sha256 = 'xyz';
    expect(() => parseManifest(badHash)).toThrow(/sha256 must be 64/);
  });
});

describe('parseManifest refuses nonsense values (issue 9, items 13 and 19)', () => {
  const withDims = (patch: Record<string, unknown>) => ({
    ...sample(),
    dims: { ...(sample().dims as object), ...patch },
  });
  it('formatVersion must be a whole number from 1', () => {
    for (const v of [0, -1, 0.5])
      expect(() => parseManifest({ ...sample(), formatVersion: v })).toThrow(
        /formatVersion must be a whole number from 1/,
      );
  });
  it('a variant that does not have the listed tasks, or lacks its decoder dims', () => {
    const naive = { ...sample(), variant: 'naive' };
    expect(() => parseManifest(naive)).not.toThrow(); // naive has age_morph2 (and no decoder dims needed)
    const t = sample();
    (t.tasks as Record<string, unknown>[])[0].name = 'age_utkface'; // Full-only task
    expect(() => parseManifest(t)).toThrow(/the base variant has no task 'age_utkface' \(wrong variant\?\)/);
    const noDecoder = withDims({ decoderWidth: undefined });
    expect(() => parseManifest(noDecoder)).toThrow(/base variant has a task decoder, but decoderWidth is missing/);
  });
  it('dims: zero, negative, fractional, huge, or inconsistent values', () => {
    expect(() => parseManifest(withDims({ vitWidth: 0 }))).toThrow(/dims: vitWidth must be a whole number from 1/);
    expect(() => parseManifest(withDims({ vitLayers: -12 }))).toThrow(/vitLayers must be a whole number/);
    expect(() => parseManifest(withDims({ vitHeads: 1.5 }))).toThrow(/vitHeads must be a whole number/);
    expect(() => parseManifest(withDims({ recogEmbedding: 1e12 }))).toThrow(
      /recogEmbedding must be a whole number from 1 to 65536/,
    );
    expect(() => parseManifest(withDims({ vitHeads: 5 }))).toThrow(/vitWidth 64 is not divisible by vitHeads 5/);
    expect(() => parseManifest(withDims({ patch: 14 }))).toThrow(/patch 14 does not tile/);
    expect(() => parseManifest(withDims({ decoderHeads: 3 }))).toThrow(
      /decoderWidth 32 is not divisible by decoderHeads 3/,
    );
    const io = sample();
    ((io.encoder as Record<string, unknown>).input as Record<string, unknown>).dims = ['N', 3, -112, 112];
    expect(() => parseManifest(io)).toThrow(/dims must be whole numbers ≥ 0 or names/);
  });
  it('sizes, queries and parameters must be whole numbers', () => {
    const size = sample();
    (size.files as Record<string, unknown>[])[0].size = -5;
    expect(() => parseManifest(size)).toThrow(/files\[0\]: field 'size' must be a whole number ≥ 0/);
    const q = sample();
    (q.tasks as Record<string, unknown>[])[0].queries = 0;
    expect(() => parseManifest(q)).toThrow(/queries' must be a whole number ≥ 1/);
    expect(() => parseManifest({ ...sample(), parameters: 1.5 })).toThrow(/parameters' must be a whole number/);
  });
  it('the same path listed twice', () => {
    const dup = sample();
    dup.files = [...(dup.files as object[]), (dup.files as object[])[0]];
    expect(() => parseManifest(dup)).toThrow("manifest: file 'weights.bin' is listed more than once in files");
  });
});

describe('packagePathProblem (issue 9, item 6)', () => {
  it('accepts the names the exporter writes', () => {
    for (const ok of ['weights.bin', 'encoder_112.onnx', 'age_morph2.onnx', 'sub/dir/x-1.onnx'])
      expect(packagePathProblem(ok)).toBeUndefined();
  });
  it('refuses URLs, schemes, encoded escapes, absolute, backslashes, dot segments and empty segments', () => {
    const cases: [string, RegExp][] = [
      ['https:evil.example/weights.bin', /scheme/],
      ['https://evil.example/w.bin', /scheme/],
      ['//evil.example/w.bin', /absolute/],
      ['%2e%2e/full/weights.bin', /'\.' or '\.\.' segment/],
      ['%2Fetc/passwd', /absolute/],
      ['a%5cb', /backslash/],
      ['%zz', /malformed %-escape/],
      ['/etc/passwd', /absolute/],
      ['C:weights.bin', /drive/],
      ['a\\b.bin', /backslash/],
      ['../x', /'\.\.' segment/],
      ['./x', /segment/],
      ['a//b', /empty or hidden segment/],
      ['.env', /hidden segment/],
      ['w.bin?x=1', /only letters/],
      ['w.bin#x', /only letters/],
      ['', /empty/],
      ['x'.repeat(300), /longer than 255/],
    ];
    for (const [path, why] of cases) expect(packagePathProblem(path), path).toMatch(why);
  });
});

describe('parseManifest: how constant feeds are stored (issue 11)', () => {
  type Feeds = { encoder: { groups: { feeds: Record<string, unknown>[] }[] } };
  const withPos = (patch: Record<string, unknown>) => {
    const m = sample();
    const f = (m as unknown as Feeds).encoder.groups[0].feeds[0];
    Object.assign(f, patch);
    return m;
  };
  it('accepts a half-stored feed (float16: 2 bytes a value, fed as float32) and keeps the stored type', () => {
    const m = parseManifest(withPos({ type: 'float16', offset: 66, length: 50 * 64 * 2 }));
    expect(m.encoder.groups[0].feeds[0]).toEqual({
      name: 'pos',
      type: 'float16',
      dims: [1, 50, 64],
      offset: 66,
      length: 6400,
    });
  });
  it('still accepts a package written before half feeds (float32 position table)', () => {
    expect(parseManifest(sample()).encoder.groups[0].feeds[0].type).toBe('float32');
  });
  it('checks a half feed’s length, alignment and extent against its dims and the weights file', () => {
    expect(() => parseManifest(withPos({ type: 'float16' }))).toThrow(
      /2-byte aligned and 6400 bytes \(float16\)/, // float32's 12800 bytes would be read as 6400 wrong values
    );
    expect(() => parseManifest(withPos({ type: 'float16', offset: 65, length: 6400 }))).toThrow(/2-byte aligned/);
    expect(() => parseManifest(withPos({ type: 'float16', offset: 64 + 6402, length: 6400 }))).toThrow(
      /feed pos lies beyond the end of weights.bin/,
    );
  });
  it('refuses a feed type it does not know, naming it', () => {
    for (const type of ['bfloat16', 'float64', 'uint8', 'FLOAT16'])
      expect(() => parseManifest(withPos({ type }))).toThrow(
        new RegExp(
          `encoder.groups\\[0\\].feeds\\[0\\]: type '${type}' is not a known feed type \\(float32, float16 or int64\\)`,
        ),
      );
    expect(() => parseManifest(withPos({ type: 16 }))).toThrow(/field 'type' must be a string/);
  });
});
