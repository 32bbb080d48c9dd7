/**
 * The plan against the golden `full_size_keys.json` lists (every key of the REAL-size models, with a category
 * assigned by the golden producer) and against the four golden checkpoints through the reader.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../checkpoint/index.ts';
import { ExportPlanError, headOptionsFromManifest, planExport, type PlanTensorInfo } from './index.ts';

const GOLDEN = '/work/shared/golden';
const hasGolden = existsSync(`${GOLDEN}/faceptor_base/full_size_keys.json`);
const VARIANTS = {
  faceptor_base: { variant: 'base', tasks: 7 },
  faceptor_full: { variant: 'full', tasks: 13 },
  faceptor_layer_attention: { variant: 'layer_attention', tasks: 13 },
  naive_faceptor: { variant: 'naive', tasks: 7 },
} as const;
type Folder = keyof typeof VARIANTS;

interface FullSizeKey {
  key: string;
  shape: number[];
  dtype: string;
  category: string;
}
function fullSize(folder: Folder): {
  keys: FullSizeKey[];
  config: Record<string, number>;
  map: Map<string, PlanTensorInfo>;
} {
  const json = JSON.parse(readFileSync(`${GOLDEN}/${folder}/full_size_keys.json`, 'utf8'));
  const keys: FullSizeKey[] = json.keys;
  return {
    keys,
    config: json.full_size_config,
    map: new Map(keys.map((k) => [k.key, { shape: k.shape, dtype: k.dtype }])),
  };
}
const bare = (k: string): string => k.replace(/^module\./, '');

describe.skipIf(!hasGolden).each(Object.keys(VARIANTS) as Folder[])(
  'plan from %s/full_size_keys.json (real sizes)',
  (folder) => {
    const { keys, config, map } = fullSize(folder);
    const plan = planExport(map);

    it('detects the variant and its tasks', () => {
      expect(plan.variant).toBe(VARIANTS[folder].variant);
      expect(plan.tasks.length).toBe(VARIANTS[folder].tasks);
    });

    it('keeps exactly the inference keys, each with its listed shape', () => {
      const inference = keys.filter((k) => k.category === 'inference');
      expect(plan.keep.size).toBe(inference.length);
      for (const k of inference) expect(plan.keep.get(bare(k.key)), k.key).toEqual(k.shape);
    });

    it('drops every other key with the matching reason', () => {
      const others = keys.filter((k) => k.category !== 'inference');
      expect(plan.dropped.map((d) => d.key).sort()).toEqual(others.map((k) => bare(k.key)).sort());
      const why = new Map(plan.dropped.map((d) => [d.key, d.why]));
      for (const k of others) {
        const reason = why.get(bare(k.key))!;
        if (k.category === 'training_only') expect(reason).toMatch(/training only/);
        else if (k.category === 'bn_counter_unused') expect(reason).toMatch(/BatchNorm counter/);
        else if (k.category === 'unused_in_inference') expect(reason).toMatch(/unused/);
        else expect(reason).toBe(`alias of ${bare(k.category.slice('alias_of:'.length))} (same storage)`);
      }
    });

    it('reads the real dimensions', () => {
      const { vit } = plan.dims;
      expect(vit.width).toBe(config.vit_width);
      expect(vit.width).toBe(768);
      expect(vit.layers).toBe(12);
      expect(vit.heads).toBe(config.vit_heads); // width/64 rule
      expect(vit.mlp).toBe(3072);
      expect(vit.patch).toBe(16);
      expect(vit.posGrid).toBe(32);
      expect(plan.dims.recogEmbedding).toBe(512);
      if (plan.variant === 'naive') {
        expect(plan.dims.decoder).toBeUndefined();
        expect(plan.dims.naive).toEqual({
          swinConv: 128,
          swinWidth: 512,
          channelHidden: 32,
          swinFeature: 512,
          uperChannels: 512,
        });
      } else {
        expect(plan.dims.decoder).toEqual({
          hidden: config.decoder_hidden,
          heads: config.decoder_heads,
          headDim: 32,
          ffn: config.decoder_ffn,
          layers: config.decoder_layers,
          levels: plan.variant === 'layer_attention' ? 6 : 1,
        });
        expect(plan.dims.decoder!.hidden).toBe(256);
        expect(plan.dims.decoder!.layers).toBe(9);
      }
    });
  },
);

describe.skipIf(!hasGolden).each(Object.keys(VARIANTS) as Folder[])(
  'plan from the golden %s checkpoint (reduced widths)',
  (folder) => {
    it('keeps the manifest-listed inference keys with the golden reduced dims', async () => {
      const manifest = JSON.parse(readFileSync(`${GOLDEN}/${folder}/manifest.json`, 'utf8'));
      const rc = manifest.reduced_config;
      const ckpt = await openCheckpoint(`${GOLDEN}/${folder}/checkpoint.pth.tar`);
      try {
        const plan = planExport(ckpt.tensors, headOptionsFromManifest(manifest));
        expect(plan.variant).toBe(VARIANTS[folder].variant);
        expect(plan.tasks).toEqual(manifest.tasks.map((t: { name: string }) => t.name));
        expect(plan.dims.vit).toMatchObject({
          width: rc.vit_width,
          heads: rc.vit_heads,
          layers: rc.vit_layers,
          patch: rc.patch_size,
          posGrid: rc.pos_embed_grid,
        });
        expect(plan.dims.recogEmbedding).toBe(rc.recognition_embedding);
        if (plan.dims.decoder) {
          expect(plan.dims.decoder).toMatchObject({
            hidden: rc.dec_hidden,
            heads: rc.dec_heads,
            ffn: rc.dec_ffn,
            layers: rc.decoder_layers,
          });
        } else {
          expect(plan.dims.naive).toMatchObject({ swinWidth: rc.swinface_out, uperChannels: rc.uper_channels });
        }
        // Same key set as the real-size list, which the golden producer categorised independently.
        const real = fullSize(folder)
          .keys.filter((k) => k.category === 'inference')
          .map((k) => bare(k.key))
          .sort();
        expect([...plan.keep.keys()].sort()).toEqual(real);
        for (const [key, shape] of plan.keep) expect(ckpt.tensors.get(key)!.shape, key).toEqual(shape);
        // Default heads would be wrong for the reduced set (64/64 = 1): that is why the golden CLI passes them.
        expect(planExport(ckpt.tensors).dims.vit.heads).toBe(1);
      } finally {
        await ckpt.close();
      }
    });
  },
);

function planError(map: Map<string, PlanTensorInfo>): ExportPlanError {
  try {
    planExport(map);
  } catch (e) {
    expect(e).toBeInstanceOf(ExportPlanError);
    return e as ExportPlanError;
  }
  throw new Error('expected planExport to fail');
}

describe.skipIf(!hasGolden)('plan errors', () => {
  it('names every missing key', () => {
    const { map } = fullSize('faceptor_full');
    const gone = [
      'module.heads_module.decoder.query_feat.align_wflw.weight',
      'module.backbone_module.visual.transformer.resblocks.4.attn.out_proj.bias',
      'module.heads_module.decoder.transformer_ffn_layers.8.norm.weight',
    ];
    for (const k of gone) map.delete(k);
    const e = planError(map);
    expect(e.code).toBe('missing_keys');
    expect(e.missing.sort()).toEqual(gone.map(bare).sort());
    for (const k of gone) expect(e.message).toContain(bare(k));
  });

  it('caps a long missing list but keeps all of them on the error', () => {
    const { map } = fullSize('faceptor_base');
    for (const k of [...map.keys()]) if (k.includes('resblocks.')) map.delete(k);
    map.set('module.backbone_module.visual.transformer.resblocks.11.ln_1.weight', { shape: [768] });
    const e = planError(map);
    expect(e.code).toBe('missing_keys');
    expect(e.missing.length).toBe(12 * 12 - 1);
    expect(e.message).toMatch(/and \d+ more/);
  });

  it('names a wrong shape with expected and got', () => {
    const { map } = fullSize('faceptor_base');
    map.set('module.heads_module.decoder.query_feat.age_morph2.weight', { shape: [100, 256] });
    map.set('module.backbone_module.visual.transformer.resblocks.3.mlp.c_proj.weight', { shape: [3072, 768] });
    const e = planError(map);
    expect(e.code).toBe('wrong_shapes');
    expect(e.message).toContain('heads_module.decoder.query_feat.age_morph2.weight expected [101, 256] got [100, 256]');
    expect(e.message).toContain('resblocks.3.mlp.c_proj.weight expected [768, 3072] got [3072, 768]');
    expect(e.wrongShapes.length).toBe(2);
  });

  it('refuses an integer tensor where a weight belongs', () => {
    const { map } = fullSize('faceptor_base');
    map.set('module.heads_module.interpreters.value.fc.bias', { shape: [1], dtype: 'int64' });
    expect(planError(map).code).toBe('wrong_dtypes');
  });

  it('refuses an unknown variant', () => {
    const { map } = fullSize('faceptor_base');
    for (const k of [...map.keys()]) if (k.includes('heads_module')) map.delete(k);
    const e = planError(map);
    expect(e.code).toBe('unknown_variant');
    expect(e.message).toMatch(/unknown Faceptor variant/);
  });

  it('refuses keys it cannot account for, unless told not to be strict', () => {
    const { map } = fullSize('naive_faceptor');
    map.set('module.heads_module.heads.age.extra.weight', { shape: [3] });
    const e = planError(map);
    expect(e.code).toBe('unexpected_keys');
    expect(e.unexpected).toEqual(['heads_module.heads.age.extra.weight']);
    const plan = planExport(map, { strict: false });
    expect(plan.dropped).toContainEqual({
      key: 'heads_module.heads.age.extra.weight',
      why: 'not part of the naive inference graph',
    });
  });

  it('refuses head counts that do not divide the width', () => {
    const { map } = fullSize('faceptor_base');
    expect(() => planExport(map, { vitHeads: 10 })).toThrow(/768 is not divisible into 10 heads/);
    expect(() => planExport(map, { decoderHeads: 3 })).toThrow(/256 is not divisible into 3 heads/);
  });

  it('accepts bare keys as well as module.-prefixed ones', () => {
    const { map } = fullSize('faceptor_layer_attention');
    const stripped = new Map([...map].map(([k, v]) => [bare(k), v]));
    expect(planExport(stripped).keep).toEqual(planExport(map).keep);
  });
});
