/** parseManifest: accepts a well-formed package description and names what is wrong otherwise. */
import { describe, expect, it } from 'vitest';
import { MANIFEST_FORMAT, MANIFEST_VERSION, ManifestError, parseManifest } from './manifest.ts';

const HASH = 'a'.repeat(64);
function sample(): Record<string, unknown> {
  return {
    format: MANIFEST_FORMAT, formatVersion: MANIFEST_VERSION, label: 'golden fixture — random weights', variant: 'base', precision: 'fp32',
    provenance: {
      sourceFile: 'checkpoint.pth.tar', sourceSize: 123, sourceSha256: HASH, step: 50000, exporter: 'x', exporterVersion: '1',
      exportedAt: '2026-11-28T00:00:00Z', untrained: true,
    },
    dims: { vitWidth: 64, vitLayers: 12, vitHeads: 4, patch: 16, decoderWidth: 32, decoderHeads: 8, decoderLayers: 9, decoderLevels: 1, recogEmbedding: 512 },
    parameters: 1000, weights: 'weights.bin',
    encoders: [{ group: 112, file: 'encoder_112.onnx', input: { name: 'image', dims: ['N', 3, 112, 112] }, outputs: [{ name: 'feat_11', dims: ['N', 64, 7, 7] }] }],
    tasks: [{ name: 'age_morph2', type: 'age', group: 112, queries: 101, file: 'age_morph2.onnx', inputs: ['feat_11'], outputs: [{ name: 'logits', dims: ['N', 101] }] }],
    fused: ['LayerNormalization'],
    files: ['weights.bin', 'encoder_112.onnx', 'age_morph2.onnx'].map((path) => ({ path, size: 1, sha256: HASH })),
  };
}

describe('parseManifest', () => {
  it('treats a label that says random/fixture/untrained as untrained even when the flag is false', () => {
    const flagOff = (label: string) => ({ ...sample(), label, provenance: { ...(sample().provenance as object), untrained: false } });
    expect(parseManifest(flagOff('golden fixture — random weights')).provenance.untrained).toBe(true);
    expect(parseManifest(flagOff('Untrained test model')).provenance.untrained).toBe(true);
    expect(parseManifest(flagOff('Faceptor-Full (official, step 50000)')).provenance.untrained).toBe(false);
    expect(parseManifest(flagOff('randomised-crop finetune')).provenance.untrained).toBe(false);
  });
  it('accepts a complete manifest and takes the task type from the registry', () => {
    const m = parseManifest(sample());
    expect(m.tasks[0].type).toBe('age');
    expect(m.encoders[0].outputs[0].name).toBe('feat_11');
  });
  it('refuses something that is not a Faceptor manifest', () => {
    expect(() => parseManifest({ hello: 1 })).toThrow(/not a Faceptor model manifest/);
    expect(() => parseManifest(null)).toThrow(ManifestError);
  });
  it('refuses a newer format version with advice', () => {
    expect(() => parseManifest({ ...sample(), formatVersion: MANIFEST_VERSION + 1 })).toThrow(/newer than this app supports.*update/);
  });
  it('names a missing or ill-typed field', () => {
    const m = sample();
    delete (m.provenance as Record<string, unknown>).sourceSha256;
    expect(() => parseManifest(m)).toThrow("provenance: missing field 'sourceSha256'");
    expect(() => parseManifest({ ...sample(), variant: 'huge' })).toThrow(/unknown variant 'huge'/);
    expect(() => parseManifest({ ...sample(), precision: 'int8' })).toThrow(/precision must be fp32 or fp16/);
  });
  it('checks consistency: task names, groups, encoder outputs and listed files', () => {
    const unknownTask = sample();
    (unknownTask.tasks as Record<string, unknown>[])[0].name = 'age_imdb';
    expect(() => parseManifest(unknownTask)).toThrow(/unknown task 'age_imdb'/);
    const wrongGroup = sample();
    (wrongGroup.tasks as Record<string, unknown>[])[0].group = 512;
    expect(() => parseManifest(wrongGroup)).toThrow(/belongs to group 112/);
    const noFeature = sample();
    (noFeature.tasks as Record<string, unknown>[])[0].inputs = ['feat_5'];
    expect(() => parseManifest(noFeature)).toThrow(/needs feat_5 from the 112 encoder/);
    const unlisted = sample();
    unlisted.files = (unlisted.files as { path: string }[]).filter((f) => f.path !== 'weights.bin');
    expect(() => parseManifest(unlisted)).toThrow(/'weights.bin' is used but not listed/);
    const badHash = sample();
    (badHash.files as Record<string, unknown>[])[0].sha256 = 'xyz';
    expect(() => parseManifest(badHash)).toThrow(/sha256 must be 64/);
  });
});
